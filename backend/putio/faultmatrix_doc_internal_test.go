package putio

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// The fault matrix table of docs/reliability.md is generated from
// matrixOps, matrixFaults, the expected outcomes and pendingCells, and
// checked here, so the page cannot drift from the test.

var updateReliability = flag.Bool("update-reliability", false, "rewrite the fault matrix in docs/reliability.md")

const (
	reliabilityDoc   = "../../docs/reliability.md"
	matrixBlockStart = "<!-- fault matrix start: generated from TestFaultMatrix; run go test ./backend/putio -run TestFaultMatrixDoc -update-reliability -->"
	matrixBlockStop  = "<!-- fault matrix stop -->"
)

// matrixTable renders the matrix as markdown: a row per fault, a column
// per operation, each cell the expected outcome's short name.
func matrixTable() string {
	var b strings.Builder
	b.WriteString("| fault |")
	for _, op := range matrixOps {
		fmt.Fprintf(&b, " %s |", op.name)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(matrixOps)) + "\n")
	var reasons []string
	for _, fault := range matrixFaults {
		fmt.Fprintf(&b, "| %s |", fault.name)
		for _, op := range matrixOps {
			text := "n/a"
			if fault.appliesTo(op) {
				text = expected(op, fault.name).short
				if why, ok := pendingCells[op.name+"/"+fault.name]; ok {
					if !slices.Contains(reasons, why) {
						reasons = append(reasons, why)
					}
					text = fmt.Sprintf("%s, pending<sup>%d</sup>", text, slices.Index(reasons, why)+1)
				}
			}
			fmt.Fprintf(&b, " %s |", text)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nOutcomes:\n\n")
	for _, o := range allOutcomes {
		fmt.Fprintf(&b, "- **%s**: %s\n", o.short, o.label)
	}
	if len(reasons) > 0 {
		b.WriteString("\nPending cells are tested with the outcome shown and fail today, because:\n\n")
		for i, why := range reasons {
			fmt.Fprintf(&b, "%d. %s.\n", i+1, why)
		}
	}
	return b.String()
}

// replaceBlock puts table between the markers of doc.
func replaceBlock(doc, table string) (string, error) {
	start := strings.Index(doc, matrixBlockStart)
	stop := strings.Index(doc, matrixBlockStop)
	if start < 0 || stop < start {
		return "", fmt.Errorf("%s lacks the fault matrix markers %q and %q", reliabilityDoc, matrixBlockStart, matrixBlockStop)
	}
	return doc[:start+len(matrixBlockStart)] + "\n" + table + doc[stop:], nil
}

func TestFaultMatrixDoc(t *testing.T) {
	data, err := os.ReadFile(reliabilityDoc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := replaceBlock(string(data), matrixTable())
	if err != nil {
		t.Fatal(err)
	}
	if want == string(data) {
		return
	}
	if *updateReliability {
		if err := os.WriteFile(reliabilityDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the fault matrix in docs/reliability.md is stale: run go test ./backend/putio -run TestFaultMatrixDoc -update-reliability")
}

func TestFaultMatrixDocMarkers(t *testing.T) {
	_, err := replaceBlock("no markers here", "table")
	if err == nil || !strings.Contains(err.Error(), "lacks the fault matrix markers") {
		t.Errorf("missing markers give %v", err)
	}
	got, err := replaceBlock("a\n"+matrixBlockStart+"\nold\n"+matrixBlockStop+"\nb", "new\n")
	if err != nil || got != "a\n"+matrixBlockStart+"\nnew\n"+matrixBlockStop+"\nb" {
		t.Errorf("replaceBlock = %q, %v", got, err)
	}
}
