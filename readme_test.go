package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/assume-role/assume-role/internal/runnertest"
)

// TestReadmeTables keeps the README's Inputs and Outputs tables in step with
// action.yml: the same names, no more and no fewer, the same defaults, and
// "**Required.**" exactly on the required inputs.
func TestReadmeTables(t *testing.T) {
	t.Parallel()
	m, err := runnertest.LoadManifest("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{}
	required := map[string]bool{}
	for name, in := range m.Inputs {
		inputs[name] = in.Default
		required[name] = in.Required
	}
	outputs := map[string]string{}
	for name := range m.Outputs {
		outputs[name] = ""
	}

	tests := []struct {
		heading  string
		header   []string
		want     map[string]string // name to default
		required map[string]bool
	}{
		{heading: "## Inputs", header: []string{"Name", "Description", "Default"}, want: inputs, required: required},
		{heading: "## Outputs", header: []string{"Name", "Description"}, want: outputs},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			t.Parallel()
			header, rows, err := markdownTable(string(readme), tt.heading)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(header, tt.header) {
				t.Fatalf("README %s table columns are %q, want %q", tt.heading, header, tt.header)
			}
			got := map[string]bool{}
			for _, row := range rows {
				name, ok := strings.CutPrefix(row[0], "`")
				name, ok2 := strings.CutSuffix(name, "`")
				if !ok || !ok2 || name == "" {
					t.Errorf("README %s: name cell %q is not a `code` name", tt.heading, row[0])
					continue
				}
				if got[name] {
					t.Errorf("README %s lists %s twice", tt.heading, name)
				}
				got[name] = true
				want, declared := tt.want[name]
				if !declared {
					t.Errorf("README %s lists %s, which action.yml does not declare", tt.heading, name)
					continue
				}
				if strings.TrimSpace(row[1]) == "" {
					t.Errorf("README %s: %s has no description", tt.heading, name)
				}
				if len(row) > 2 {
					if d := strings.Trim(row[2], "`"); d != want {
						t.Errorf("README %s: %s default is %q, action.yml says %q", tt.heading, name, d, want)
					}
				}
				if tt.required != nil {
					if isReq := strings.HasPrefix(row[1], "**Required.**"); isReq != tt.required[name] {
						t.Errorf("README %s: %s starts with **Required.**: %v, action.yml required: %v", tt.heading, name, isReq, tt.required[name])
					}
				}
			}
			for name := range tt.want {
				if !got[name] {
					t.Errorf("README %s does not list %s from action.yml", tt.heading, name)
				}
			}
		})
	}
}

// TestReadmeTestCommandIsCI checks that the test command the README gives
// developers is the one CI runs (CI may add a -timeout).
func TestReadmeTestCommandIsCI(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cmd  string
		inCI bool
	}{
		{name: "demo", cmd: "go run ./internal/cmd/demo"},
		{name: "tests", cmd: "go test -race -shuffle=on -count=1 ./...", inCI: true},
	}
	timeout := regexp.MustCompile(`\s+-timeout[= ]\S+`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(string(readme), "```sh\n"+tt.cmd+"\n```") {
				t.Errorf("README has no sh block with exactly %q", tt.cmd)
			}
			if !tt.inCI {
				return
			}
			for _, line := range strings.Split(string(ci), "\n") {
				if timeout.ReplaceAllString(strings.TrimSpace(line), "") == tt.cmd {
					return
				}
			}
			t.Errorf(".ci/run does not run %q (with at most a -timeout added)", tt.cmd)
		})
	}
}

func TestMarkdownTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		doc        string
		wantHeader []string
		wantRows   [][]string
		wantErr    string
	}{
		{
			name:       "table under its heading",
			doc:        "# T\n\n## Inputs\n\nSome text.\n\n| Name | Default |\n|---|:---:|\n| `a` | `1` |\n| `b` |  |\n\nAfter.\n",
			wantHeader: []string{"Name", "Default"},
			wantRows:   [][]string{{"`a`", "`1`"}, {"`b`", ""}},
		},
		{
			name:       "escaped pipes stay in the cell",
			doc:        "## Inputs\n| Name | Description |\n|---|---|\n| `a` | x \\| y |\n",
			wantHeader: []string{"Name", "Description"},
			wantRows:   [][]string{{"`a`", "x | y"}},
		},
		{
			name:       "the first table after the heading",
			doc:        "## Outputs\n| A |\n|---|\n| 1 |\n\n| B |\n|---|\n| 2 |\n",
			wantHeader: []string{"A"},
			wantRows:   [][]string{{"1"}},
		},
		{name: "no heading", doc: "## Other\n| A |\n|---|\n", wantErr: "no line"},
		{name: "next section first", doc: "## Inputs\ntext\n## Next\n| A |\n|---|\n", wantErr: "no table"},
		{name: "no separator", doc: "## Inputs\n| A |\n| 1 |\n", wantErr: "separator"},
		{name: "ragged row", doc: "## Inputs\n| A | B |\n|---|---|\n| 1 |\n", wantErr: "2 columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			heading := "## Inputs"
			if strings.HasPrefix(tt.doc, "## Outputs") {
				heading = "## Outputs"
			}
			header, rows, err := markdownTable(tt.doc, heading)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(header, tt.wantHeader) {
				t.Errorf("header = %q, want %q", header, tt.wantHeader)
			}
			if !slices.EqualFunc(rows, tt.wantRows, slices.Equal) {
				t.Errorf("rows = %q, want %q", rows, tt.wantRows)
			}
		})
	}
}

// markdownTable returns the header and rows of the first table after the
// line equal to heading, before the next heading of any level.
func markdownTable(doc, heading string) (header []string, rows [][]string, err error) {
	lines := strings.Split(doc, "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		return nil, nil, fmt.Errorf("no line %q", heading)
	}
	var table []string
	for _, l := range lines[start+1:] {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "|"):
			table = append(table, l)
			continue
		case len(table) > 0:
		case strings.HasPrefix(l, "#"):
		default:
			continue
		}
		break
	}
	if len(table) == 0 {
		return nil, nil, fmt.Errorf("no table under %q", heading)
	}
	header = cells(table[0])
	sep := regexp.MustCompile(`^:?-+:?$`)
	notSep := func(c string) bool { return !sep.MatchString(c) }
	if len(table) < 2 || slices.ContainsFunc(cells(table[1]), notSep) || len(cells(table[1])) != len(header) {
		return nil, nil, fmt.Errorf("the table under %q has no separator line after its header", heading)
	}
	for i, l := range table[2:] {
		row := cells(l)
		if len(row) != len(header) {
			return nil, nil, fmt.Errorf("row %d under %q has %d cells, the table %d columns", i+1, heading, len(row), len(header))
		}
		rows = append(rows, row)
	}
	return header, rows, nil
}

// cells splits a table line at unescaped '|' and trims each cell.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var out []string
	var cell strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return append(out, strings.TrimSpace(cell.String()))
}
