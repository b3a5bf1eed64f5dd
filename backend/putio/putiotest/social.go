package putiotest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// socialState is the state between accounts: friendships and requests,
// family invites, friend invites, friend shares and clone tasks. Guarded
// by Emulator.mu; made on first use (socialLocked).
type socialState struct {
	friends       map[*account]map[*account]bool // both ways
	requests      map[*account]map[*account]bool // requester → asked
	familyInvites map[string]*familyInvite       // by code
	friendInvites map[string]*friendInvite       // by code
	familyOf      map[*account]*account          // member → family owner
	fileShares    map[int64]*fileShare           // by shared item id
	friendFolders map[int64]*friendFolder        // SHARED_FRIEND folders by id
	clones        map[int64]*cloneTask
	nextShare     int64 // friend share ids
	nextClone     int64
}

// socialLocked returns the social state, made on first use.
func (e *Emulator) socialLocked() *socialState {
	s := &e.social
	if s.friends == nil {
		*s = socialState{
			friends:       map[*account]map[*account]bool{},
			requests:      map[*account]map[*account]bool{},
			familyInvites: map[string]*familyInvite{},
			friendInvites: map[string]*friendInvite{},
			familyOf:      map[*account]*account{},
			fileShares:    map[int64]*fileShare{},
			friendFolders: map[int64]*friendFolder{},
			clones:        map[int64]*cloneTask{},
			nextShare:     1,
			nextClone:     1,
		}
	}
	return s
}

// accountNamedLocked finds the account with a username, among the
// Options.Users and every account a token names.
func (e *Emulator) accountNamedLocked(name string) *account {
	if a := e.users[name]; a != nil {
		return a
	}
	for _, g := range e.tokens {
		if g.acct.username == name {
			return g.acct
		}
	}
	return nil
}

// userNamedLocked is accountNamedLocked for a name the client gave: no
// such user is 404 USER_NOT_FOUND (SDK live suite).
func (e *Emulator) userNamedLocked(name string) (*account, error) {
	if a := e.accountNamedLocked(name); a != nil {
		return a, nil
	}
	return nil, &apiError{http.StatusNotFound, "USER_NOT_FOUND", "no user named " + name}
}

// knownAccountsLocked lists every account a token or a user names, in
// user id order.
func (e *Emulator) knownAccountsLocked() []*account {
	seen := map[*account]bool{}
	for _, a := range e.users {
		seen[a] = true
	}
	for _, g := range e.tokens {
		seen[g.acct] = true
	}
	return sortedAccounts(seen)
}

// avatarPath is the emulator's one avatar, served by the admin API: put.io
// gives every user a non-empty avatar_url.
const avatarPath = adminPrefix + "fixtures/avatar.png"

// userJSON is put.io's short user row: {id, name, avatar_url}.
func (c *call) userJSON(a *account) obj {
	return obj{"id": a.userID, "name": a.username, "avatar_url": c.e.baseURL(c.r) + avatarPath}
}

// socialRoutes are friends', family's, invites', IFTTT's and RSS's.
func (e *Emulator) socialRoutes() []*route {
	return []*route{
		newRoute("GET /v2/friends/list", authed, firstParty(e.listFriends)),
		newRoute("GET /v2/friends/waiting-requests", authed, firstParty(e.waitingRequests)),
		newRoute("GET /v2/friends/waiting-requests-count", authed, firstParty(e.countWaitingRequests)),
		newRoute("GET /v2/friends/sent-requests", authed, firstParty(e.sentRequests)),
		newRoute("GET /v2/friends/user-search/{name}", authed, firstParty(e.searchUsers)),
		newRoute("POST /v2/friends/{name}/request", authed, firstParty(e.friendAction(requestFriend))),
		newRoute("POST /v2/friends/{name}/approve", authed, firstParty(e.friendAction(approveFriend))),
		newRoute("POST /v2/friends/{name}/deny", authed, firstParty(e.friendAction(denyFriend))),
		newRoute("POST /v2/friends/{name}/unfriend", authed, firstParty(e.friendAction(unfriend))),
		literalRoute(newRoute("GET /v2/friends/{name}/files", authed, e.friendSharedFolder), "files"),
		newRoute("GET /v2/family/members", authed, firstParty(e.familyMembers)),
		newRoute("GET /v2/family/invites", authed, firstParty(e.listFamilyInvites)),
		newRoute("POST /v2/family/sub_account", authed, firstParty(e.createFamilyInvite)),
		newRoute("DELETE /v2/family/sub_account/{name}", authed, firstParty(e.removeFamilyMember)),
		newRoute("POST /v2/family/join/{code}", authed, firstParty(e.joinFamily)),
		newRoute("GET /v2/registration/family/{code}", public, e.lookupFamilyInvite),
		newRoute("GET /v2/account/friend_invites", authed, firstParty(e.listFriendInvites)),
		newRoute("POST /v2/account/create_friend_invitation", authed, firstParty(e.createFriendInvite)),
		newRoute("GET /v2/registration/friend/{code}", public, e.lookupFriendInvite),
		newRoute("GET /v2/ifttt-client/status", authed, e.iftttStatus),
		newRoute("POST /v2/ifttt-client/event", authed, firstParty(e.iftttEvent)),
	}
}

// areFriends reports whether a and b are friends.
func (s *socialState) areFriends(a, b *account) bool { return s.friends[a][b] }

func addTo(m map[*account]map[*account]bool, a, b *account) {
	if m[a] == nil {
		m[a] = map[*account]bool{}
	}
	m[a][b] = true
}

// friendsOf lists a's friends in user id order.
func (s *socialState) friendsOf(a *account) []*account {
	return sortedAccounts(s.friends[a])
}

func sortedAccounts(set map[*account]bool) []*account {
	out := make([]*account, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *account) int { return cmp.Compare(a.userID, b.userID) })
	return out
}

// waitingFor lists who asked a to be friends.
func (s *socialState) waitingFor(a *account) []*account {
	asked := map[*account]bool{}
	for from, to := range s.requests {
		if to[a] {
			asked[from] = true
		}
	}
	return sortedAccounts(asked)
}

func (c *call) usersJSON(accounts []*account) []obj {
	out := make([]obj, len(accounts))
	for i, a := range accounts {
		out[i] = c.userJSON(a)
	}
	return out
}

// listFriends serves GET /v2/friends/list.
func (e *Emulator) listFriends(c *call) {
	c.locked(func(url.Values) (obj, error) {
		s := e.socialLocked()
		friends := s.friendsOf(c.acct)
		rows := make([]obj, len(friends))
		for i, f := range friends {
			row := c.userJSON(f)
			row["has_shared_files"] = len(e.sharedTopsLocked(f, c.acct)) > 0
			row["has_received_files"] = len(e.sharedTopsLocked(c.acct, f)) > 0
			rows[i] = row
		}
		return obj{"friends": rows, "total": len(rows)}, nil
	})
}

// waitingRequests serves GET /v2/friends/waiting-requests.
func (e *Emulator) waitingRequests(c *call) {
	c.locked(func(url.Values) (obj, error) {
		return obj{"friends": c.usersJSON(e.socialLocked().waitingFor(c.acct))}, nil
	})
}

// countWaitingRequests serves GET /v2/friends/waiting-requests-count.
func (e *Emulator) countWaitingRequests(c *call) {
	c.locked(func(url.Values) (obj, error) {
		return obj{"count": len(e.socialLocked().waitingFor(c.acct))}, nil
	})
}

// sentRequests serves GET /v2/friends/sent-requests.
func (e *Emulator) sentRequests(c *call) {
	c.locked(func(url.Values) (obj, error) {
		return obj{"friends": c.usersJSON(sortedAccounts(e.socialLocked().requests[c.acct]))}, nil
	})
}

// searchUsers serves GET /v2/friends/user-search/{name}: users whose name
// contains the words, the caller and its friends left out (SDK live
// suite), invited saying whether a request to them is pending.
func (e *Emulator) searchUsers(c *call) {
	query := strings.ToLower(c.r.PathValue("name"))
	c.locked(func(url.Values) (obj, error) {
		s := e.socialLocked()
		users := []obj{}
		for _, a := range e.knownAccountsLocked() {
			if a == c.acct || s.areFriends(c.acct, a) || !strings.Contains(strings.ToLower(a.username), query) {
				continue
			}
			row := c.userJSON(a)
			row["invited"] = s.requests[c.acct][a]
			users = append(users, row)
		}
		return obj{"users": users}, nil
	})
}

// friendChange is one of the friend actions, on the caller and the other
// user.
type friendChange func(e *Emulator, me, other *account) error

// friendAction serves POST /v2/friends/{name}/<action>: an unknown user
// is 404 USER_NOT_FOUND (SDK live suite).
func (e *Emulator) friendAction(change friendChange) func(*call) {
	return func(c *call) {
		name := c.r.PathValue("name")
		c.locked(func(url.Values) (obj, error) {
			other, err := e.userNamedLocked(name)
			if err != nil {
				return nil, err
			}
			return nil, change(e, c.acct, other)
		})
	}
}

// requestFriend asks other to be friends; a request other already sent
// the caller is left to approve, as put.io's requests are one-way.
func requestFriend(e *Emulator, me, other *account) error {
	s := e.socialLocked()
	switch {
	case me == other:
		return errBadRequest("BadRequest", "you cannot befriend yourself")
	case s.areFriends(me, other):
		return errBadRequest("ALREADY_FRIENDS", "you are friends with "+other.username+" already")
	}
	addTo(s.requests, me, other)
	return nil
}

// approveFriend accepts other's pending request.
func approveFriend(e *Emulator, me, other *account) error {
	s := e.socialLocked()
	if !s.requests[other][me] {
		return errNotFound("friend request from " + other.username)
	}
	delete(s.requests[other], me)
	delete(s.requests[me], other)
	addTo(s.friends, me, other)
	addTo(s.friends, other, me)
	return nil
}

// denyFriend refuses other's pending request.
func denyFriend(e *Emulator, me, other *account) error {
	s := e.socialLocked()
	if !s.requests[other][me] {
		return errNotFound("friend request from " + other.username)
	}
	delete(s.requests[other], me)
	return nil
}

// unfriend ends a friendship; the shares between the two end with it.
func unfriend(e *Emulator, me, other *account) error {
	s := e.socialLocked()
	if !s.areFriends(me, other) {
		return errNotFound("friend " + other.username)
	}
	delete(s.friends[me], other)
	delete(s.friends[other], me)
	for id := range s.fileShares {
		n := e.nodes[id]
		if n == nil {
			continue
		}
		switch n.acct {
		case me:
			e.unshareLocked(id, func(sh friendShare) bool { return sh.to == other })
		case other:
			e.unshareLocked(id, func(sh friendShare) bool { return sh.to == me })
		}
	}
	return nil
}

// literalSegment is a route's last path segment that ServeMux matches as
// a wildcard, for a route ServeMux could not hold beside another: GET
// /v2/friends/{name}/files and GET /v2/friends/user-search/{name} both
// match /v2/friends/user-search/files and neither is more specific, so
// the former is matched as /v2/friends/{name}/{files}, which the latter
// outranks, and takes only "files" there.
type literalSegment string

// pattern is the ServeMux pattern of the route named name.
func (l literalSegment) pattern(name string) string {
	if l == "" {
		return name
	}
	return strings.TrimSuffix(name, "/"+string(l)) + "/{" + string(l) + "}"
}

// takes reports whether r has the word where the wildcard stands.
func (l literalSegment) takes(r *http.Request) bool {
	return l == "" || r.PathValue(string(l)) == string(l)
}

func literalRoute(rt *route, word literalSegment) *route {
	rt.literal = word
	return rt
}
