// Package examples embeds accord's example scenario files (the YAML
// format of package scenarios), so that the CLI can run them without the
// repository at hand: uk-turnover, philippines, no-gcap and no-signature.
package examples

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names returns the example names (file names without .yaml), sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(out)
	return out
}

// File returns the text of the example called name ("uk-turnover"), or an
// error naming the examples there are.
func File(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no example scenario %q (examples: %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}
