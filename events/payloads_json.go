package events

// The fast JSON paths of the built-in payload types: appendFields writes a
// type's fields in the order and form json.Marshal does (jsonwrite.go), and
// decodeField reads one field by its exact name (jsonread.go), returning
// false for a name it does not know or a value it cannot read, so that the
// caller falls back to encoding/json.
//
// The two dispatch functions at the end list every built-in type. They
// switch on the concrete types rather than use an interface so that the
// calls are static (the buffers stay on the stack) and so that a custom
// payload type that embeds a built-in one (or AgreementRef) never takes
// the fast path by accident. TestEveryBuiltinTypeHasAFastPath checks that
// no type is missing.

// appendRefFields writes the fields of AgreementRef, which come first in
// every lifecycle payload.
func (r *AgreementRef) appendRefFields(b []byte) []byte {
	b = appendString(b, "agreement", r.Agreement)
	b = appendOptStrings(b, "parties", r.Parties)
	b = appendOptString(b, "kind", r.Kind)
	return appendOptString(b, "title", r.Title)
}

// decodeRefField reads a field of AgreementRef.
func (r *AgreementRef) decodeRefField(in *jsonReader, key []byte) bool {
	switch string(key) {
	case "agreement":
		return in.readString(&r.Agreement)
	case "parties":
		return in.readStrings(&r.Parties)
	case "kind":
		return in.readString(&r.Kind)
	case "title":
		return in.readString(&r.Title)
	}
	return false
}

func (p *AgreementProposed) appendFields(b []byte) []byte {
	return appendOptString(p.appendRefFields(b), "proposed_by", p.ProposedBy)
}

func (p *AgreementProposed) decodeField(r *jsonReader, key []byte) bool {
	if string(key) == "proposed_by" {
		return r.readString(&p.ProposedBy)
	}
	return p.decodeRefField(r, key)
}

func (p *TalksOpened) appendFields(b []byte) []byte {
	return appendOptString(p.appendRefFields(b), "location", p.Location)
}

func (p *TalksOpened) decodeField(r *jsonReader, key []byte) bool {
	if string(key) == "location" {
		return r.readString(&p.Location)
	}
	return p.decodeRefField(r, key)
}

func (p *TalksRoundHeld) appendFields(b []byte) []byte {
	b = appendOptInt(p.appendRefFields(b), "round", p.Round)
	return appendOptString(b, "location", p.Location)
}

func (p *TalksRoundHeld) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "round":
		return r.readInt(&p.Round)
	case "location":
		return r.readString(&p.Location)
	}
	return p.decodeRefField(r, key)
}

// appendReasonFields writes the reason of TalksStalled and Abandoned.
func appendReasonFields(b []byte, ref *AgreementRef, reason string) []byte {
	return appendOptString(ref.appendRefFields(b), "reason", reason)
}

// decodeReasonField reads a field of TalksStalled or Abandoned.
func decodeReasonField(r *jsonReader, key []byte, ref *AgreementRef, reason *string) bool {
	if string(key) == "reason" {
		return r.readString(reason)
	}
	return ref.decodeRefField(r, key)
}

func (p *AgreementSigned) appendFields(b []byte) []byte {
	b = appendOptString(p.appendRefFields(b), "location", p.Location)
	return appendOptStrings(b, "signatories", p.Signatories)
}

func (p *AgreementSigned) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "location":
		return r.readString(&p.Location)
	case "signatories":
		return r.readStrings(&p.Signatories)
	}
	return p.decodeRefField(r, key)
}

func (p *DomesticApprovalCompleted) appendFields(b []byte) []byte {
	b = appendString(p.appendRefFields(b), "party", p.Party)
	return appendString(b, "body", p.Body)
}

func (p *DomesticApprovalCompleted) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "party":
		return r.readString(&p.Party)
	case "body":
		return r.readString(&p.Body)
	}
	return p.decodeRefField(r, key)
}

// appendByReasonFields writes the fields of Suspended and Terminated.
func appendByReasonFields(b []byte, ref *AgreementRef, by, reason string) []byte {
	b = appendOptString(ref.appendRefFields(b), "by", by)
	return appendOptString(b, "reason", reason)
}

// decodeByReasonField reads a field of Suspended or Terminated.
func decodeByReasonField(r *jsonReader, key []byte, ref *AgreementRef, by, reason *string) bool {
	if string(key) == "by" {
		return r.readString(by)
	}
	return decodeReasonField(r, key, ref, reason)
}

func (p *LeadershipChanged) appendFields(b []byte) []byte {
	b = appendString(b, "country", p.Country)
	b = appendString(b, "office", p.Office)
	b = appendOptString(b, "from", p.From)
	b = appendString(b, "to", p.To)
	return appendOptString(b, "reason", p.Reason)
}

func (p *LeadershipChanged) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "country":
		return r.readString(&p.Country)
	case "office":
		return r.readString(&p.Office)
	case "from":
		return r.readString(&p.From)
	case "to":
		return r.readString(&p.To)
	case "reason":
		return r.readString(&p.Reason)
	}
	return false
}

func (p *ElectionHeld) appendFields(b []byte) []byte {
	b = appendString(b, "country", p.Country)
	b = appendOptString(b, "body", p.Body)
	b = appendOptString(b, "winner", p.Winner)
	return appendOptString(b, "summary", p.Summary)
}

func (p *ElectionHeld) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "country":
		return r.readString(&p.Country)
	case "body":
		return r.readString(&p.Body)
	case "winner":
		return r.readString(&p.Winner)
	case "summary":
		return r.readString(&p.Summary)
	}
	return false
}

func (p *GovernmentCollapsed) appendFields(b []byte) []byte {
	b = appendString(b, "country", p.Country)
	return appendOptString(b, "reason", p.Reason)
}

func (p *GovernmentCollapsed) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "country":
		return r.readString(&p.Country)
	case "reason":
		return r.readString(&p.Reason)
	}
	return false
}

func (p *StatementIssued) appendFields(b []byte) []byte {
	b = appendString(b, "country", p.Country)
	b = appendOptString(b, "agreement", p.Agreement)
	b = appendOptString(b, "speaker", p.Speaker)
	b = appendOptString(b, "stance", p.Stance)
	return appendString(b, "summary", p.Summary)
}

func (p *StatementIssued) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "country":
		return r.readString(&p.Country)
	case "agreement":
		return r.readString(&p.Agreement)
	case "speaker":
		return r.readString(&p.Speaker)
	case "stance":
		return r.readString(&p.Stance)
	case "summary":
		return r.readString(&p.Summary)
	}
	return false
}

func (p *ExpectationReported) appendFields(b []byte) []byte {
	b = appendString(b, "agreement", p.Agreement)
	b = appendString(b, "expected_type", p.ExpectedType)
	b = appendDate(b, "expected_by", p.ExpectedBy, false)
	b = appendString(b, "said_by", p.SaidBy)
	return appendOptString(b, "summary", p.Summary)
}

func (p *ExpectationReported) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "agreement":
		return r.readString(&p.Agreement)
	case "expected_type":
		return r.readString(&p.ExpectedType)
	case "expected_by":
		return r.readDate(&p.ExpectedBy)
	case "said_by":
		return r.readString(&p.SaidBy)
	case "summary":
		return r.readString(&p.Summary)
	}
	return false
}

func (p *EventRetracted) appendFields(b []byte) []byte {
	b = appendString(b, "target", p.Target)
	b = appendOptString(b, "reason", p.Reason)
	b = appendOptString(b, "agreement", p.Agreement)
	return appendOptString(b, "country", p.Country)
}

func (p *EventRetracted) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "target":
		return r.readString(&p.Target)
	case "reason":
		return r.readString(&p.Reason)
	case "agreement":
		return r.readString(&p.Agreement)
	case "country":
		return r.readString(&p.Country)
	}
	return false
}

// encodable reports whether appendFields can write p: its data must be
// copied as it is (see verbatimJSON).
func (p *EventCorrected) encodable() bool { return verbatimJSON(p.Data) }

func (p *EventCorrected) appendFields(b []byte) []byte {
	b = appendString(b, "target", p.Target)
	b = appendDate(b, "occurred_at", p.OccurredAt, true)
	b = appendOptRaw(b, "data", p.Data)
	b = appendOptString(b, "reason", p.Reason)
	b = appendOptString(b, "agreement", p.Agreement)
	return appendOptString(b, "country", p.Country)
}

func (p *EventCorrected) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "target":
		return r.readString(&p.Target)
	case "occurred_at":
		return r.readDate(&p.OccurredAt)
	case "data":
		return r.readRaw(&p.Data)
	case "reason":
		return r.readString(&p.Reason)
	case "agreement":
		return r.readString(&p.Agreement)
	case "country":
		return r.readString(&p.Country)
	}
	return false
}

// encodable reports whether appendFields can write p: json.Marshal fails
// on a NaN or infinite number, and that error is left to it.
func (p *PoliticalEvent) encodable() bool { return finite(p.Goldstein) && finite(p.Intensity) }

func (p *PoliticalEvent) appendFields(b []byte) []byte {
	b = appendString(b, "country", p.Country)
	b = appendOptStrings(b, "actors", p.Actors)
	b = appendOptStrings(b, "recipients", p.Recipients)
	b = appendOptString(b, "agreement", p.Agreement)
	b = appendOptString(b, "cameo", p.CAMEO)
	b = appendOptString(b, "plover_event", p.PloverEvent)
	b = appendOptString(b, "plover_mode", p.PloverMode)
	b = appendOptStrings(b, "plover_context", p.PloverContext)
	b = appendOptFloat(b, "goldstein", p.Goldstein)
	b = appendOptFloat(b, "intensity", p.Intensity)
	b = appendOptString(b, "text", p.Text)
	b = appendOptString(b, "original_id", p.OriginalID)
	return appendOptString(b, "origin", p.Origin)
}

func (p *PoliticalEvent) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "country":
		return r.readString(&p.Country)
	case "actors":
		return r.readStrings(&p.Actors)
	case "recipients":
		return r.readStrings(&p.Recipients)
	case "agreement":
		return r.readString(&p.Agreement)
	case "cameo":
		return r.readString(&p.CAMEO)
	case "plover_event":
		return r.readString(&p.PloverEvent)
	case "plover_mode":
		return r.readString(&p.PloverMode)
	case "plover_context":
		return r.readStrings(&p.PloverContext)
	case "goldstein":
		return r.readFloat(&p.Goldstein)
	case "intensity":
		return r.readFloat(&p.Intensity)
	case "text":
		return r.readString(&p.Text)
	case "original_id":
		return r.readString(&p.OriginalID)
	case "origin":
		return r.readString(&p.Origin)
	}
	return false
}

func (p *ScenarioSaved) appendFields(b []byte) []byte {
	b = appendString(b, "name", p.Name)
	b = appendOptString(b, "description", p.Description)
	return appendString(b, "yaml", p.YAML)
}

func (p *ScenarioSaved) decodeField(r *jsonReader, key []byte) bool {
	switch string(key) {
	case "name":
		return r.readString(&p.Name)
	case "description":
		return r.readString(&p.Description)
	case "yaml":
		return r.readString(&p.YAML)
	}
	return false
}

// appendPayload appends the JSON of p exactly as json.Marshal(p) writes it
// and reports true, or reports false when p is not a (non-nil) built-in
// payload or is one that json.Marshal must write (or fail on) itself.
func appendPayload(b []byte, p Payload) ([]byte, bool) {
	start := len(b)
	switch p := p.(type) {
	case *AgreementProposed:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *TalksOpened:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *TalksRoundHeld:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *TalksStalled:
		if p == nil {
			return b, false
		}
		b = appendReasonFields(b, &p.AgreementRef, p.Reason)
	case *TalksResumed:
		if p == nil {
			return b, false
		}
		b = p.appendRefFields(b)
	case *AgreedInPrinciple:
		if p == nil {
			return b, false
		}
		b = p.appendRefFields(b)
	case *TextInitialled:
		if p == nil {
			return b, false
		}
		b = p.appendRefFields(b)
	case *AgreementSigned:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *DomesticApprovalCompleted:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *InstrumentsExchanged:
		if p == nil {
			return b, false
		}
		b = p.appendRefFields(b)
	case *EnteredIntoForce:
		if p == nil {
			return b, false
		}
		b = p.appendRefFields(b)
	case *ProvisionallyApplied:
		if p == nil {
			return b, false
		}
		b = p.appendRefFields(b)
	case *Suspended:
		if p == nil {
			return b, false
		}
		b = appendByReasonFields(b, &p.AgreementRef, p.By, p.Reason)
	case *Terminated:
		if p == nil {
			return b, false
		}
		b = appendByReasonFields(b, &p.AgreementRef, p.By, p.Reason)
	case *Abandoned:
		if p == nil {
			return b, false
		}
		b = appendReasonFields(b, &p.AgreementRef, p.Reason)
	case *LeadershipChanged:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *ElectionHeld:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *GovernmentCollapsed:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *StatementIssued:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *ExpectationReported:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *EventRetracted:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	case *EventCorrected:
		if p == nil || !p.encodable() {
			return b, false
		}
		b = p.appendFields(b)
	case *PoliticalEvent:
		if p == nil || !p.encodable() {
			return b, false
		}
		b = p.appendFields(b)
	case *ScenarioSaved:
		if p == nil {
			return b, false
		}
		b = p.appendFields(b)
	default:
		return b, false
	}
	return closeObject(b, start), true
}

// decodePayload fills p, a fresh built-in payload, from the JSON object in
// data, and reports false when p is not a (non-nil) built-in payload or the
// data is not of the plain shape the fast reader takes. Then p may be
// partly filled and must be thrown away.
func decodePayload(p Payload, data []byte) bool {
	r := jsonReader{data: data}
	for {
		key, more := r.nextField()
		if !more {
			return r.done()
		}
		var ok bool
		switch p := p.(type) {
		case *AgreementProposed:
			ok = p != nil && p.decodeField(&r, key)
		case *TalksOpened:
			ok = p != nil && p.decodeField(&r, key)
		case *TalksRoundHeld:
			ok = p != nil && p.decodeField(&r, key)
		case *TalksStalled:
			ok = p != nil && decodeReasonField(&r, key, &p.AgreementRef, &p.Reason)
		case *TalksResumed:
			ok = p != nil && p.decodeRefField(&r, key)
		case *AgreedInPrinciple:
			ok = p != nil && p.decodeRefField(&r, key)
		case *TextInitialled:
			ok = p != nil && p.decodeRefField(&r, key)
		case *AgreementSigned:
			ok = p != nil && p.decodeField(&r, key)
		case *DomesticApprovalCompleted:
			ok = p != nil && p.decodeField(&r, key)
		case *InstrumentsExchanged:
			ok = p != nil && p.decodeRefField(&r, key)
		case *EnteredIntoForce:
			ok = p != nil && p.decodeRefField(&r, key)
		case *ProvisionallyApplied:
			ok = p != nil && p.decodeRefField(&r, key)
		case *Suspended:
			ok = p != nil && decodeByReasonField(&r, key, &p.AgreementRef, &p.By, &p.Reason)
		case *Terminated:
			ok = p != nil && decodeByReasonField(&r, key, &p.AgreementRef, &p.By, &p.Reason)
		case *Abandoned:
			ok = p != nil && decodeReasonField(&r, key, &p.AgreementRef, &p.Reason)
		case *LeadershipChanged:
			ok = p != nil && p.decodeField(&r, key)
		case *ElectionHeld:
			ok = p != nil && p.decodeField(&r, key)
		case *GovernmentCollapsed:
			ok = p != nil && p.decodeField(&r, key)
		case *StatementIssued:
			ok = p != nil && p.decodeField(&r, key)
		case *ExpectationReported:
			ok = p != nil && p.decodeField(&r, key)
		case *EventRetracted:
			ok = p != nil && p.decodeField(&r, key)
		case *EventCorrected:
			ok = p != nil && p.decodeField(&r, key)
		case *PoliticalEvent:
			ok = p != nil && p.decodeField(&r, key)
		case *ScenarioSaved:
			ok = p != nil && p.decodeField(&r, key)
		}
		if !ok {
			return false
		}
	}
}
