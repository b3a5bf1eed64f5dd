package putiotest_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

// The shapes of the friend, friend-sharing, family, invite, IFTTT and RSS
// replies: the TS SDK's schemas (src/domains/*.ts), which its live suite
// decodes put.io's replies with.

type wireUser struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

type wireFriends struct {
	Friends []struct {
		wireUser
		HasSharedFiles   bool `json:"has_shared_files"`
		HasReceivedFiles bool `json:"has_received_files"`
	} `json:"friends"`
	Total  int    `json:"total"`
	Status string `json:"status"`
}

type wireFriendRequests struct {
	Friends []wireUser `json:"friends"`
	Status  string     `json:"status"`
}

type wireCount struct {
	Count  int    `json:"count"`
	Status string `json:"status"`
}

type wireUserSearch struct {
	Users []struct {
		wireUser
		Invited bool `json:"invited"`
	} `json:"users"`
	Status string `json:"status"`
}

type wireFriendFolder struct {
	File   *wireFile `json:"file"`
	Status string    `json:"status"`
}

type wireShared struct {
	Shared []struct {
		wireFile
		SharedWith json.RawMessage `json:"shared_with"` // "everyone" or a count
	} `json:"shared"`
	Status string `json:"status"`
}

type wireSharedWithFriends struct {
	ShareType string `json:"share_type"`
	Shares    []struct {
		ShareID       int64  `json:"share_id"`
		UserName      string `json:"user_name"`
		UserAvatarURL string `json:"user_avatar_url"`
	} `json:"shares"`
	Status string `json:"status"`
}

type wireSharedWithEveryone struct {
	ShareType string `json:"share_type"`
	Status    string `json:"status"`
}

type wireID struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

type wireCloneInfo struct {
	SharedFileCloneStatus string `json:"shared_file_clone_status"`
	ErrorMsg              string `json:"error_msg,omitempty"`
	Status                string `json:"status"`
}

type wireFamilyMembers struct {
	Members []struct {
		wireUser
		CreatedAt string `json:"created_at"`
		DiskUsed  int64  `json:"disk_used"`
		IsOwner   bool   `json:"is_owner"`
	} `json:"members"`
	Status string `json:"status"`
}

type wireFamilyInvites struct {
	Invites []struct {
		Code      string `json:"code"`
		CreatedAt string `json:"created_at"`
		UserID    *int64 `json:"user_id"`
	} `json:"invites"`
	Limit          int    `json:"limit"`
	RemainingLimit int    `json:"remaining_limit"`
	Status         string `json:"status"`
}

type wireCode struct {
	Code   string `json:"code"`
	Status string `json:"status"`
}

type wireFamilyLookup struct {
	Invite struct {
		Owner string `json:"owner"`
		Plan  string `json:"plan"`
	} `json:"invite"`
	Status string `json:"status"`
}

type wireFriendInvites struct {
	Invites []struct {
		Code      string `json:"code"`
		CreatedAt string `json:"created_at"`
		User      *struct {
			Name         string   `json:"name"`
			AvatarURL    string   `json:"avatar_url"`
			CreatedAt    string   `json:"created_at"`
			EarnedAmount *float64 `json:"earned_amount"`
			Status       string   `json:"status"`
		} `json:"user"`
	} `json:"invites"`
	RemainingLimit int    `json:"remaining_limit"`
	Status         string `json:"status"`
}

type wireFriendLookup struct {
	Invite struct {
		Inviter string `json:"inviter"`
		Plan    struct {
			Code   string `json:"code"`
			Name   string `json:"name"`
			Period int    `json:"period"`
		} `json:"plan"`
	} `json:"invite"`
	Status string `json:"status"`
}

type wireIFTTTStatus struct {
	Enabled bool   `json:"enabled"`
	Status  string `json:"status"`
}

type wireRSSFeed struct {
	ID               int64   `json:"id"`
	Title            string  `json:"title"`
	RSSSourceURL     string  `json:"rss_source_url"`
	Keyword          *string `json:"keyword"`
	UnwantedKeywords string  `json:"unwanted_keywords"`
	ParentDirID      int64   `json:"parent_dir_id"`
	ParentDirIDOld   int64   `json:"parentdirid"`
	DeleteOldFiles   bool    `json:"delete_old_files"`
	Extract          bool    `json:"extract"`
	FailedItemCount  int     `json:"failed_item_count,omitempty"`
	LastError        *string `json:"last_error"`
	LastFetch        *string `json:"last_fetch"`
	Paused           bool    `json:"paused"`
	PausedAt         *string `json:"paused_at"`
	StartAt          *string `json:"start_at"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

type wireRSS struct {
	Feed   wireRSSFeed `json:"feed"`
	Status string      `json:"status"`
}

type wireRSSList struct {
	Feeds  []wireRSSFeed `json:"feeds"`
	Status string        `json:"status"`
}

type wireRSSItems struct {
	Feed   wireRSSFeed       `json:"feed"`
	Items  []json.RawMessage `json:"items"`
	Status string            `json:"status"`
}

func TestContractSocialShapes(t *testing.T) {
	srv, ann, bob := socialPair(t)
	public := &apiClient{t: t, srv: srv}
	mustStatus(t, ann.post("/v2/friends/bob/request", nil), 200)
	strict(t, ann.get("/v2/friends/sent-requests", nil), 200, &wireFriendRequests{})
	strict(t, bob.get("/v2/friends/waiting-requests", nil), 200, &wireFriendRequests{})
	strict(t, bob.get("/v2/friends/waiting-requests-count", nil), 200, &wireCount{})
	strict(t, ann.get("/v2/friends/user-search/bob", nil), 200, &wireUserSearch{})
	strict(t, bob.post("/v2/friends/ann/approve", nil), 200, &wireOK{})
	strict(t, ann.get("/v2/friends/list", nil), 200, &wireFriends{})
	strictError(t, ann.post("/v2/friends/nobody/request", nil), 404, "USER_NOT_FOUND")

	dir := bob.mkdir(0, "shared")
	file := bob.upload(dir, "a.txt", []byte("a"), nil)
	strict(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 200, &wireOK{})
	strictError(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"ann"}}), 400, "ALREADY_SHARED")
	strict(t, bob.get("/v2/files/shared", nil), 200, &wireShared{})
	strict(t, bob.get("/v2/files/"+itoa(dir)+"/shared-with-v2", nil), 200, &wireSharedWithFriends{})
	var folder wireFriendFolder
	strict(t, ann.get("/v2/friends/bob/files", nil), 200, &folder)
	strict(t, ann.get("/v2/files/list/items-shared-with-you", nil), 200, &wireList{})
	strict(t, ann.get("/v2/files/list", url.Values{"parent_id": {itoa(folder.File.ID)}}), 200, &wireList{})
	dest := ann.mkdir(0, "dest")
	var clone wireID
	strict(t, ann.post("/v2/sharing/clone", url.Values{"file_ids": {itoa(file)}, "parent_id": {itoa(dest)}}), 200, &clone)
	strict(t, ann.get("/v2/sharing/clone/"+itoa(clone.ID), nil), 200, &wireCloneInfo{})
	strictError(t, ann.get("/v2/sharing/clone/999", nil), 404, "SHARED_FILE_CLONE_NOT_FOUND")
	strict(t, bob.post("/v2/files/"+itoa(dir)+"/unshare", url.Values{"shares": {"everyone"}}), 200, &wireOK{})
	strict(t, bob.post("/v2/files/share", url.Values{"file_ids": {itoa(dir)}, "friends": {"everyone"}}), 200, &wireOK{})
	strict(t, bob.get("/v2/files/"+itoa(dir)+"/shared-with-v2", nil), 200, &wireSharedWithEveryone{})

	var invites wireFamilyInvites
	strict(t, bob.get("/v2/family/invites", nil), 200, &invites)
	strict(t, public.get("/v2/registration/family/"+invites.Invites[0].Code, nil), 200, &wireFamilyLookup{})
	strict(t, ann.post("/v2/family/join/"+invites.Invites[0].Code, nil), 200, &wireOK{})
	strict(t, bob.get("/v2/family/members", nil), 200, &wireFamilyMembers{})
	strict(t, bob.post("/v2/family/sub_account", nil), 200, &wireCode{})
	strictError(t, ann.post("/v2/family/join/bogus", nil), 403, "FAMILY_INVITE_INVALID_CODE")
	var friendInvites wireFriendInvites
	strict(t, bob.get("/v2/account/friend_invites", nil), 200, &friendInvites)
	strict(t, public.get("/v2/registration/friend/"+friendInvites.Invites[0].Code, nil), 200, &wireFriendLookup{})
	strict(t, bob.post("/v2/account/create_friend_invitation", nil), 200, &wireCode{})

	strict(t, ann.get("/v2/ifttt-client/status", nil), 200, &wireIFTTTStatus{})
	strict(t, ann.post("/v2/ifttt-client/event", url.Values{"event_type": {"playback_stopped"},
		"ingredients": {`{"file_id":1,"file_name":"a.mp4","file_type":"VIDEO"}`}}), 200, &wireOK{})

	fixture := srv.URL + "/_emulator/fixtures/feed.rss"
	var feed wireRSS
	strict(t, ann.post("/v2/rss/create", url.Values{"title": {"t"}, "rss_source_url": {fixture}}), 200, &feed)
	strict(t, ann.post("/v2/rss/"+itoa(feed.Feed.ID)+"/pause", nil), 200, &wireOK{})
	strict(t, ann.get("/v2/rss/"+itoa(feed.Feed.ID), nil), 200, &wireRSS{})
	strict(t, ann.get("/v2/rss/list", nil), 200, &wireRSSList{})
	strict(t, ann.get("/v2/rss/"+itoa(feed.Feed.ID)+"/items", nil), 200, &wireRSSItems{})
	strictError(t, ann.post("/v2/rss/create", url.Values{"title": {"t"}, "rss_source_url": {"not-a-url"}}), 400, "URL_NOT_VALID")
}
