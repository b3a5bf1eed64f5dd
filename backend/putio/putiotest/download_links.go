package putiotest

import (
	"net/http"
	"net/url"
	"time"
)

// linksTask is a download_links task: the links of every file of a
// selection, made when it turns DONE. An identical request (same account,
// same file_ids or cursor and exclude_ids) gets the same task back while
// its links are valid, as the SDK suite shows put.io caches the task id.
type linksTask struct {
	id      int64
	acct    *account
	key     string
	members []member
	taskProgress

	links   obj       // once DONE
	expires time.Time // of the links, and of the task with them
}

func (e *Emulator) downloadLinkRoutes() []*route {
	return []*route{
		newRoute("POST /v2/download_links/create", authed, e.createDownloadLinks),
		newRoute("GET /v2/download_links/{id}", authed, e.getDownloadLinks),
	}
}

// createDownloadLinks serves POST /v2/download_links/create: {id}.
func (e *Emulator) createDownloadLinks(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		items, err := e.selectionLocked(c.acct, v)
		if err != nil {
			return nil, err
		}
		key := selectionKey(v)
		for _, t := range e.liveLinksLocked() {
			if t.acct == c.acct && t.key == key {
				return obj{"id": t.id}, nil
			}
		}
		if e.linkTasks == nil {
			e.linkTasks = map[int64]*linksTask{}
		}
		e.nextLinks++
		t := &linksTask{id: e.nextLinks, acct: c.acct, key: key, members: membersOf(items)}
		e.linkTasks[t.id] = t
		return obj{"id": t.id}, nil
	})
}

// liveLinksLocked lists the tasks whose links have not expired, dropping
// the others.
func (e *Emulator) liveLinksLocked() []*linksTask {
	var out []*linksTask
	for id, t := range e.linkTasks {
		if !t.expires.IsZero() && e.opts.Now().After(t.expires) {
			delete(e.linkTasks, id)
			continue
		}
		out = append(out, t)
	}
	return out
}

// getDownloadLinks serves GET /v2/download_links/{id}: links null until
// DONE; then download_links, one signed storage URL of each file's own
// bytes (those of files gone by then are left out), media_links, the same
// URLs with stream=1 for audio and video files, and mp4_links, empty as
// the emulator converts nothing to MP4.
func (e *Emulator) getDownloadLinks(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		var task *linksTask
		for _, t := range e.liveLinksLocked() {
			if t.id == id && t.acct == c.acct {
				task = t
			}
		}
		if task == nil {
			return nil, &apiError{http.StatusNotFound, "LINKS_NOT_FOUND", "download links task " + itoa(id) + " does not exist or has expired"}
		}
		status := task.readLocked(e.opts.TasksDoneAtOnce)
		if status != taskDone {
			return obj{"links_status": status, "links": nil, "error_msg": nil}, nil
		}
		if task.links == nil {
			task.links = e.linksLocked(c.r, task)
			task.expires = e.opts.Now().Add(e.opts.URLExpiry)
		}
		return obj{"links_status": taskDone, "links": task.links, "error_msg": nil}, nil
	})
}

// linksLocked makes the links of a task's files that are still there.
func (e *Emulator) linksLocked(r *http.Request, t *linksTask) obj {
	download, media := []string{}, []string{}
	for _, m := range t.members {
		n := e.lookup(t.acct, m.id)
		if n == nil {
			continue
		}
		u := e.signedURL(r, n)
		download = append(download, u)
		if isPlayable(n) {
			media = append(media, u+"&stream=1")
		}
	}
	return obj{"download_links": download, "media_links": media, "mp4_links": []string{}}
}
