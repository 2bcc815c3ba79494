package ui

import (
	"net/http"
	"net/url"

	"github.com/keywayhq/keyway"
)

// projectsData is the projects page of the current account.
type projectsData struct {
	Account   *keyway.Account
	Env       keyway.Env
	Projects  []*keyway.Project
	Next      string
	CanCreate bool
}

// envOf is the environment a page shows: test when asked, else live.
func envOf(s string) keyway.Env {
	if keyway.Env(s) == keyway.EnvTest {
		return keyway.EnvTest
	}
	return keyway.EnvLive
}

func (h *handler) projectsPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	d := projectsData{Account: v.Account, Env: envOf(r.URL.Query().Get("env"))}
	if v.Account != nil {
		cursor := r.URL.Query().Get("cursor")
		// One page of the account's projects (both environments: the
		// service lists them together), filtered here by environment.
		ps, next, err := h.svc.ListProjects(r.Context(), v.Caller, v.Account.ID, keyway.Page{Limit: keyway.MaxPageLimit, Cursor: &cursor})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		for _, p := range ps {
			if p.Env == d.Env {
				d.Projects = append(d.Projects, p)
			}
		}
		d.Next = next
		d.CanCreate = v.Caller.Can(keyway.RoleAdmin, v.Account.ID, "")
	}
	h.render(w, r, http.StatusOK, "projects", &page{Title: "Projects", Data: d})
}

// projectForm is the new-project and rename form.
type projectForm struct {
	Project *keyway.Project
	Name    string
	Env     keyway.Env
}

func (h *handler) newProjectPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "project_form", &page{Title: "New project", Data: projectForm{Env: envOf(r.URL.Query().Get("env"))}})
}

func (h *handler) createProject(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	f := projectForm{Name: r.PostFormValue("name"), Env: keyway.Env(r.PostFormValue("env"))}
	if v.Account == nil {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeForbidden, "You are not in any account"))
		return
	}
	p, err := h.svc.CreateProject(r.Context(), v.Caller, &keyway.ProjectCreate{Name: f.Name, AccountID: v.Account.ID, Env: f.Env})
	if err != nil {
		h.render(w, r, status(err), "project_form", &page{Title: "New project", Error: message(err), Data: f})
		return
	}
	http.Redirect(w, r, "/ui/?env="+url.QueryEscape(string(p.Env)), http.StatusSeeOther)
}

// project loads the project of the path with the caller's role.
func (h *handler) project(w http.ResponseWriter, r *http.Request) (*keyway.Project, bool) {
	p, err := h.svc.GetProject(r.Context(), visitOf(r).Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, visitOf(r), err)
		return nil, false
	}
	return p, true
}

func (h *handler) renameProjectPage(w http.ResponseWriter, r *http.Request) {
	if p, ok := h.project(w, r); ok {
		h.render(w, r, http.StatusOK, "project_form", &page{Title: "Rename project", Data: projectForm{Project: p, Name: p.Name}})
	}
}

func (h *handler) renameProject(w http.ResponseWriter, r *http.Request) {
	p, ok := h.project(w, r)
	if !ok {
		return
	}
	name := r.PostFormValue("name")
	if _, err := h.svc.RenameProject(r.Context(), visitOf(r).Caller, p.ID, &keyway.Rename{Name: name}); err != nil {
		h.render(w, r, status(err), "project_form", &page{Title: "Rename project", Error: message(err), Data: projectForm{Project: p, Name: name}})
		return
	}
	http.Redirect(w, r, "/ui/?env="+url.QueryEscape(string(p.Env)), http.StatusSeeOther)
}

func (h *handler) deleteProjectPage(w http.ResponseWriter, r *http.Request) {
	if p, ok := h.project(w, r); ok {
		h.render(w, r, http.StatusOK, "project_delete", &page{Title: "Delete project", Data: projectForm{Project: p}})
	}
}

// deleteProject deletes only when the typed name matches: a slip of the
// hand must not delete a project and stop its keys.
func (h *handler) deleteProject(w http.ResponseWriter, r *http.Request) {
	p, ok := h.project(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != p.Name {
		h.render(w, r, http.StatusBadRequest, "project_delete", &page{Title: "Delete project",
			Error: "The name you typed is not the project's name: nothing was deleted.", Data: projectForm{Project: p}})
		return
	}
	if _, err := h.svc.DeleteProject(r.Context(), visitOf(r).Caller, p.ID); err != nil {
		h.render(w, r, status(err), "project_delete", &page{Title: "Delete project", Error: message(err), Data: projectForm{Project: p}})
		return
	}
	http.Redirect(w, r, "/ui/?env="+url.QueryEscape(string(p.Env)), http.StatusSeeOther)
}
