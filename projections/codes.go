package projections

import "github.com/accord-dev/accord/events"

// typeCode is a compact event type. The standard types have fixed codes;
// other types registered in a Codec get codes from numStdTypes up, per core.
type typeCode uint16

const (
	tUnknown typeCode = iota
	tProposed
	tTalksOpened
	tRoundHeld
	tStalled
	tResumed
	tAIP
	tInitialled
	tSigned
	tApproval
	tExchanged
	tEIF
	tPA
	tSuspended
	tTerminated
	tAbandoned
	tLeadership
	tElection
	tCollapsed
	tStatement
	tExpectation
	tRetracted
	tCorrected
	tPolitical
	numStdTypes
)

func stdTypeCode(name string) typeCode {
	switch name {
	case events.TypeAgreementProposed:
		return tProposed
	case events.TypeTalksOpened:
		return tTalksOpened
	case events.TypeTalksRoundHeld:
		return tRoundHeld
	case events.TypeTalksStalled:
		return tStalled
	case events.TypeTalksResumed:
		return tResumed
	case events.TypeAgreedInPrinciple:
		return tAIP
	case events.TypeTextInitialled:
		return tInitialled
	case events.TypeAgreementSigned:
		return tSigned
	case events.TypeDomesticApprovalCompleted:
		return tApproval
	case events.TypeInstrumentsExchanged:
		return tExchanged
	case events.TypeEnteredIntoForce:
		return tEIF
	case events.TypeProvisionallyApplied:
		return tPA
	case events.TypeSuspended:
		return tSuspended
	case events.TypeTerminated:
		return tTerminated
	case events.TypeAbandoned:
		return tAbandoned
	case events.TypeLeadershipChanged:
		return tLeadership
	case events.TypeElectionHeld:
		return tElection
	case events.TypeGovernmentCollapsed:
		return tCollapsed
	case events.TypeStatementIssued:
		return tStatement
	case events.TypeExpectationReported:
		return tExpectation
	case events.TypeEventRetracted:
		return tRetracted
	case events.TypeEventCorrected:
		return tCorrected
	case events.TypePoliticalEvent:
		return tPolitical
	}
	return tUnknown
}

func stdTypeName(c typeCode) string {
	switch c {
	case tProposed:
		return events.TypeAgreementProposed
	case tTalksOpened:
		return events.TypeTalksOpened
	case tRoundHeld:
		return events.TypeTalksRoundHeld
	case tStalled:
		return events.TypeTalksStalled
	case tResumed:
		return events.TypeTalksResumed
	case tAIP:
		return events.TypeAgreedInPrinciple
	case tInitialled:
		return events.TypeTextInitialled
	case tSigned:
		return events.TypeAgreementSigned
	case tApproval:
		return events.TypeDomesticApprovalCompleted
	case tExchanged:
		return events.TypeInstrumentsExchanged
	case tEIF:
		return events.TypeEnteredIntoForce
	case tPA:
		return events.TypeProvisionallyApplied
	case tSuspended:
		return events.TypeSuspended
	case tTerminated:
		return events.TypeTerminated
	case tAbandoned:
		return events.TypeAbandoned
	case tLeadership:
		return events.TypeLeadershipChanged
	case tElection:
		return events.TypeElectionHeld
	case tCollapsed:
		return events.TypeGovernmentCollapsed
	case tStatement:
		return events.TypeStatementIssued
	case tExpectation:
		return events.TypeExpectationReported
	case tRetracted:
		return events.TypeEventRetracted
	case tCorrected:
		return events.TypeEventCorrected
	case tPolitical:
		return events.TypePoliticalEvent
	}
	return ""
}

// isLifecycle reports whether c is an agreement lifecycle type.
func isLifecycle(c typeCode) bool { return c >= tProposed && c <= tAbandoned }

const (
	confNone uint8 = iota
	confConfirmed
	confReported
	confRumoured
)

func confCode(c events.Confidence) uint8 {
	switch c {
	case events.Confirmed:
		return confConfirmed
	case events.Reported:
		return confReported
	case events.Rumoured:
		return confRumoured
	}
	return confNone
}

func confName(c uint8) events.Confidence {
	switch c {
	case confConfirmed:
		return events.Confirmed
	case confReported:
		return events.Reported
	case confRumoured:
		return events.Rumoured
	}
	return ""
}
