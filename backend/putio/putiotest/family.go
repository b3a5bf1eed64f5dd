package putiotest

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// familyLimit is how many members besides the owner a family may have,
// invites not yet used included; put.io's figure follows the plan and is
// not on record.
const familyLimit = 5

// friendInviteLimit is how many friend invites an account may make; not
// on record either.
const friendInviteLimit = 5

// emulatedPlan names the plan invites offer: every emulated account has
// the same one.
var emulatedPlan = obj{"code": "emulator", "name": "putio-emulator", "period": 30}

// familyInvite is an invite code to join owner's family; used once.
type familyInvite struct {
	code    string
	owner   *account
	created time.Time
	user    *account // who joined with it; nil while unused
}

// friendInvite is an invite code for a new user, from inviter.
type friendInvite struct {
	code    string
	inviter *account
	created time.Time
}

// seedInvitesLocked gives a fresh Options.Users account one unused family
// invite and one unused friend invite (Options.SeedUserInvites): put.io's
// live suite looks up invites it expects to find, as it cannot make
// accounts.
func (e *Emulator) seedInvitesLocked(a *account) {
	if e.opts.SeedUserInvites {
		e.newFamilyInviteLocked(a)
		e.newFriendInviteLocked(a)
	}
}

func (e *Emulator) newFamilyInviteLocked(owner *account) *familyInvite {
	inv := &familyInvite{code: randomHex(8), owner: owner, created: e.now()}
	e.socialLocked().familyInvites[inv.code] = inv
	return inv
}

func (e *Emulator) newFriendInviteLocked(inviter *account) *friendInvite {
	inv := &friendInvite{code: randomHex(8), inviter: inviter, created: e.now()}
	e.socialLocked().friendInvites[inv.code] = inv
	return inv
}

// familyOwnerLocked is the owner of a's family: a itself unless a joined
// another's.
func (e *Emulator) familyOwnerLocked(a *account) *account {
	return cmp.Or(e.socialLocked().familyOf[a], a)
}

// familyInvitesOf lists owner's family invites, oldest first.
func (s *socialState) familyInvitesOf(owner *account) []*familyInvite {
	var out []*familyInvite
	for _, inv := range s.familyInvites {
		if inv.owner == owner {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(x, y *familyInvite) int { return cmp.Or(x.created.Compare(y.created), cmp.Compare(x.code, y.code)) })
	return out
}

// membersOf lists the members of owner's family, owner not included.
func (s *socialState) membersOf(owner *account) []*account {
	members := map[*account]bool{}
	for member, o := range s.familyOf {
		if o == owner {
			members[member] = true
		}
	}
	return sortedAccounts(members)
}

// familyRemaining is how many more members owner's family may invite.
func (s *socialState) familyRemaining(owner *account) int {
	unused := 0
	for _, inv := range s.familyInvitesOf(owner) {
		if inv.user == nil {
			unused++
		}
	}
	return max(familyLimit-len(s.membersOf(owner))-unused, 0)
}

// familyMembers serves GET /v2/family/members: the owner first.
func (e *Emulator) familyMembers(c *call) {
	c.locked(func(url.Values) (obj, error) {
		owner := e.familyOwnerLocked(c.acct)
		rows := []obj{c.familyMemberJSON(owner, true)}
		for _, m := range e.socialLocked().membersOf(owner) {
			rows = append(rows, c.familyMemberJSON(m, false))
		}
		return obj{"members": rows}, nil
	})
}

func (c *call) familyMemberJSON(a *account, owner bool) obj {
	row := c.userJSON(a)
	row["created_at"] = formatTime(a.root.created)
	row["disk_used"] = a.used
	row["is_owner"] = owner
	return row
}

// listFamilyInvites serves GET /v2/family/invites.
func (e *Emulator) listFamilyInvites(c *call) {
	c.locked(func(url.Values) (obj, error) {
		s := e.socialLocked()
		invites := []obj{}
		for _, inv := range s.familyInvitesOf(c.acct) {
			row := obj{"code": inv.code, "created_at": formatTime(inv.created), "user_id": nil}
			if inv.user != nil {
				row["user_id"] = inv.user.userID
			}
			invites = append(invites, row)
		}
		return obj{"invites": invites, "limit": familyLimit, "remaining_limit": s.familyRemaining(c.acct)}, nil
	})
}

// createFamilyInvite serves POST /v2/family/sub_account: a new invite
// code (no mail is sent; the owner passes the code on).
func (e *Emulator) createFamilyInvite(c *call) {
	c.locked(func(url.Values) (obj, error) {
		s := e.socialLocked()
		switch {
		case s.familyOf[c.acct] != nil:
			return nil, &apiError{http.StatusForbidden, "FAMILY_SUB_ACCOUNT_NOT_ALLOWED", "a family member cannot invite members"}
		case s.familyRemaining(c.acct) == 0:
			return nil, &apiError{http.StatusForbidden, "FAMILY_SUB_ACCOUNT_LIMIT_EXCEEDED", "the family has no room for another member"}
		}
		return obj{"code": e.newFamilyInviteLocked(c.acct).code}, nil
	})
}

// removeFamilyMember serves DELETE /v2/family/sub_account/{name}: a name
// that is no member of the caller's family is 404 (SDK live suite).
func (e *Emulator) removeFamilyMember(c *call) {
	name := c.r.PathValue("name")
	c.locked(func(url.Values) (obj, error) {
		s := e.socialLocked()
		member := e.accountNamedLocked(name)
		if member == nil || s.familyOf[member] != c.acct {
			return nil, errNotFound("family member " + name)
		}
		delete(s.familyOf, member)
		return nil, nil
	})
}

// joinFamily serves POST /v2/family/join/{code}: a code no one issued, or
// one already used, is 403 FAMILY_INVITE_INVALID_CODE (SDK live suite).
func (e *Emulator) joinFamily(c *call) {
	code := c.r.PathValue("code")
	c.locked(func(url.Values) (obj, error) {
		s := e.socialLocked()
		inv := s.familyInvites[code]
		switch {
		case inv == nil || inv.user != nil || inv.owner == c.acct:
			return nil, &apiError{http.StatusForbidden, "FAMILY_INVITE_INVALID_CODE", "no unused family invite with this code"}
		case s.familyOf[c.acct] != nil || len(s.membersOf(c.acct)) > 0:
			return nil, &apiError{http.StatusForbidden, "FAMILY_INVITE_ANOTHER_FAMILY", "you are in a family already"}
		}
		inv.user = c.acct
		s.familyOf[c.acct] = inv.owner
		return nil, nil
	})
}

// lookupFamilyInvite serves GET /v2/registration/family/{code}, which
// needs no token.
func (e *Emulator) lookupFamilyInvite(c *call) {
	code := c.r.PathValue("code")
	c.locked(func(url.Values) (obj, error) {
		inv := e.socialLocked().familyInvites[code]
		if inv == nil || inv.user != nil {
			return nil, &apiError{http.StatusNotFound, "INVALID_FAMILY_INVITE_CODE", "no unused family invite with this code"}
		}
		return obj{"invite": obj{"owner": inv.owner.username, "plan": emulatedPlan["name"]}}, nil
	})
}

// listFriendInvites serves GET /v2/account/friend_invites. No one ever
// signs up with an invite here, so every invite's user is null.
func (e *Emulator) listFriendInvites(c *call) {
	c.locked(func(url.Values) (obj, error) {
		mine := e.friendInvitesOf(c.acct)
		invites := make([]obj, len(mine))
		for i, inv := range mine {
			invites[i] = obj{"code": inv.code, "created_at": formatTime(inv.created), "user": nil}
		}
		return obj{"invites": invites, "remaining_limit": friendInviteLimit - len(mine)}, nil
	})
}

func (e *Emulator) friendInvitesOf(a *account) []*friendInvite {
	var out []*friendInvite
	for _, inv := range e.socialLocked().friendInvites {
		if inv.inviter == a {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(x, y *friendInvite) int { return cmp.Or(x.created.Compare(y.created), cmp.Compare(x.code, y.code)) })
	return out
}

// createFriendInvite serves POST /v2/account/create_friend_invitation: a
// code to pass on (no mail is sent).
func (e *Emulator) createFriendInvite(c *call) {
	c.locked(func(url.Values) (obj, error) {
		if len(e.friendInvitesOf(c.acct)) >= friendInviteLimit {
			return nil, &apiError{http.StatusForbidden, "FRIEND_INVITATION_LIMIT_EXCEEDED", "no friend invites left"}
		}
		return obj{"code": e.newFriendInviteLocked(c.acct).code}, nil
	})
}

// lookupFriendInvite serves GET /v2/registration/friend/{code}, which
// needs no token.
func (e *Emulator) lookupFriendInvite(c *call) {
	code := c.r.PathValue("code")
	c.locked(func(url.Values) (obj, error) {
		inv := e.socialLocked().friendInvites[code]
		if inv == nil {
			return nil, &apiError{http.StatusNotFound, "FRIEND_INVITE_INVALID_CODE", "no friend invite with this code"}
		}
		return obj{"invite": obj{"inviter": inv.inviter.username, "plan": emulatedPlan}}, nil
	})
}

// iftttStatus serves GET /v2/ifttt-client/status: IFTTT is never
// connected here. App tokens may read it (SDK live suite).
func (e *Emulator) iftttStatus(c *call) {
	c.ok(obj{"enabled": false})
}

// iftttPlaybackIngredients are what playback events must carry.
var iftttPlaybackIngredients = []string{"file_id", "file_name", "file_type"}

// iftttEvent serves POST /v2/ifttt-client/event: event_type must be
// playback_started or playback_stopped (else 400 INVALID_EVENT_TYPE), and
// ingredients (a JSON object) must carry the playback fields (else 400
// MISSING_INGREDIENTS). A valid event succeeds even while IFTTT is off,
// and goes nowhere (SDK live suite).
func (e *Emulator) iftttEvent(c *call) {
	v, ok := c.params()
	if !ok {
		return
	}
	switch v.Get("event_type") {
	case "playback_started", "playback_stopped":
	default:
		c.badRequest("INVALID_EVENT_TYPE", "event_type must be playback_started or playback_stopped")
		return
	}
	var ingredients map[string]any
	if err := json.Unmarshal([]byte(v.Get("ingredients")), &ingredients); err != nil {
		c.badRequest("MISSING_INGREDIENTS", "ingredients must be a JSON object with "+strings.Join(iftttPlaybackIngredients, ", "))
		return
	}
	for _, name := range iftttPlaybackIngredients {
		if ingredients[name] == nil {
			c.badRequest("MISSING_INGREDIENTS", "ingredients must carry "+strings.Join(iftttPlaybackIngredients, ", "))
			return
		}
	}
	c.ok(nil)
}
