package scenarios

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// checkSVG parses an SVG document as XML and counts its curves.
func checkSVG(b []byte, curves int) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	root, polylines, texts := "", 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			switch se.Name.Local {
			case "polyline":
				polylines++
			case "text":
				texts++
			}
		}
	}
	if root != "svg" || polylines != curves || texts < 10 {
		return fmt.Errorf("root %q, %d polylines (want %d), %d texts", root, polylines, curves, texts)
	}
	return nil
}
