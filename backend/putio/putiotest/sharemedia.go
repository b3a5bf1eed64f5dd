package putiotest

import (
	"net/http"
	"net/url"
)

// parentMediaFields adds to a listing's parent the media fields its
// *_parent flags ask for, as put.io's public share listing answers them
// (SDK live suite: sharing.test.ts 'sharing public share parent media
// flags'): stream_url (a URL the listing's caller can stream, null for
// what is no video or audio), video_metadata and media_info (null: the
// emulator probes no media) and need_convert (true for a video that is
// not MP4 already).
func (e *Emulator) parentMediaFields(r *http.Request, parent obj, n *node, v url.Values) {
	if flagParam(v, "stream_url_parent") {
		parent["stream_url"] = e.streamURL(r, n, isPlayable(n))
	}
	if flagParam(v, "video_metadata_parent") {
		parent["video_metadata"] = nil
	}
	if flagParam(v, "media_info_parent") {
		parent["media_info"] = nil
	}
	if flagParam(v, "mp4_status_parent") {
		parent["need_convert"] = isVideo(n) && parent["content_type"] != "video/mp4"
	}
}
