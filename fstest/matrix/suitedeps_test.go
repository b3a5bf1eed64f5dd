package matrix

// cmd/bisync's tests import go-difflib, which nothing else this module
// builds needs. Importing it here keeps it in go.mod, so go mod download
// (which .ci/run runs) puts it in the module cache, the only source the
// offline build of the suites reads.
import _ "github.com/pmezard/go-difflib/difflib"
