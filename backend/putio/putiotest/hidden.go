package putiotest

import "net/url"

// SetHidden marks the item at path hidden or not: its is_hidden, and with
// Options.HideHiddenItems whether listings and child lookups that do not
// ask for hidden items leave it out. Which items put.io hides is not on
// record, so tests choose.
func (acc *Account) SetHidden(path string, hidden bool) error {
	acc.emu.mu.Lock()
	defer acc.emu.mu.Unlock()
	n, err := acc.resolve(path)
	if err != nil {
		return err
	}
	n.hidden = hidden
	return nil
}

// hidesHidden reports whether a request leaves hidden items out: only
// with Options.HideHiddenItems, and not when it asks hidden=1 (or true).
func (e *Emulator) hidesHidden(v url.Values) bool {
	return e.opts.HideHiddenItems && !flagParam(v, "hidden")
}

// visibleChild is the newest child called name that the request v may
// see (see hidesHidden), or nil.
func (e *Emulator) visibleChild(parent *node, name string, v url.Values) *node {
	hide := e.hidesHidden(v)
	return newestChild(parent, name, func(n *node) bool { return !(hide && n.hidden) })
}
