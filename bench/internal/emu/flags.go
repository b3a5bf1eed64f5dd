package emu

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
)

// Flag is one command-line flag as the emulator's -h describes it.
type Flag struct {
	Name    string
	Type    string // "" for a boolean flag
	Usage   string
	Default string // from "(default ...)", unquoted; "" if none
}

// Flags asks bin for its flags (-h), so the benchmark can use options that
// newer emulators have without failing on older ones.
func Flags(ctx context.Context, bin string) ([]Flag, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-h")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -h: %w: %s", bin, err, strings.TrimSpace(out.String()))
	}
	return ParseFlags(out.String()), nil
}

var defaultRE = regexp.MustCompile(`\(default (?:"([^"]*)"|([^)]*))\)\s*$`)

// ParseFlags reads the flag list of Go's flag.PrintDefaults format:
// "  -name type" then an indented usage, or "  -x\tusage" on one line.
func ParseFlags(help string) []Flag {
	var flags []Flag
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "  -"):
			head, usage, _ := strings.Cut(strings.TrimPrefix(line, "  -"), "\t")
			name, typ, _ := strings.Cut(strings.TrimSpace(head), " ")
			flags = append(flags, Flag{Name: name, Type: typ, Usage: strings.TrimSpace(usage)})
		case strings.HasPrefix(line, "    \t") && len(flags) > 0:
			last := &flags[len(flags)-1]
			last.Usage = strings.TrimSpace(last.Usage + " " + strings.TrimSpace(line))
		}
	}
	for i := range flags {
		if m := defaultRE.FindStringSubmatch(flags[i].Usage); m != nil {
			flags[i].Default = m[1] + m[2]
		}
	}
	return flags
}

// tusExtensionCWU is the tus extension that lets a creation POST carry
// the body.
const tusExtensionCWU = "creation-with-upload"

// CreationWithUploadArgs returns the emulator arguments that make it
// advertise (and accept) tus creation-with-upload, or false if this
// emulator has no such option. It takes a boolean flag named for the
// extension, or a list of extensions to advertise, to which it adds it.
func CreationWithUploadArgs(flags []Flag) ([]string, bool) {
	named := func(f Flag) bool {
		return strings.Contains(f.Name, "with-upload") || strings.Contains(f.Name, "tus-extension")
	}
	mentions := func(f Flag) bool { return strings.Contains(strings.ToLower(f.Usage), tusExtensionCWU) }
	for _, match := range []func(Flag) bool{named, mentions} {
		i := slices.IndexFunc(flags, match)
		if i < 0 {
			continue
		}
		f := flags[i]
		if f.Type == "" {
			return []string{"-" + f.Name}, true
		}
		return []string{"-" + f.Name + "=" + withExtension(f.Default, tusExtensionCWU)}, true
	}
	return nil, false
}

// withExtension adds ext to the comma-separated list, which defaults to
// what the emulator advertises without options.
func withExtension(list, ext string) string {
	if strings.TrimSpace(list) == "" {
		list = "creation,termination"
	}
	var exts []string
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e != "" && e != ext {
			exts = append(exts, e)
		}
	}
	return strings.Join(append(exts, ext), ",")
}
