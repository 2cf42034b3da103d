package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/dunglas/httpsfv"

	"github.com/jurichain/jurichain/access"
	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/policy"
)

// DefaultMaxPackageSize bounds an imported evidence package unless
// Config.MaxPackageSize says otherwise.
const DefaultMaxPackageSize = 1 << 30

// institutionKind is the kind of this node's institution on its member
// card ("" when it is not a member any more).
func (s *Server) institutionKind() identity.InstitutionKind {
	m, ok := s.cfg.Ledger.Membership().Member(s.cfg.Institution)
	if !ok {
		return ""
	}
	return m.Kind
}

// trustedPolicies are the policies an imported package is judged by: this
// network's own, as its ledger holds it, and those of the outside logs
// registered on it (ledger.OutsideLogs). Never the package's own: a package that brings a
// policy of its choosing would vouch for itself.
func (s *Server) trustedPolicies() (map[string]*policy.Policy, error) {
	own, err := s.cfg.Ledger.PolicyAt(0)
	if err != nil {
		return nil, fmt.Errorf("this network's policy: %w", err)
	}
	texts := [][]byte{own}
	// A retired log takes no more anchors: what it vouches for is no
	// longer trusted here either.
	_, logs := s.cfg.Ledger.OutsideLogs()
	for _, l := range logs {
		if !l.Retired {
			texts = append(texts, l.Policy)
		}
	}
	out := make(map[string]*policy.Policy, len(texts))
	for _, t := range texts {
		p, err := policy.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("a trusted policy does not parse: %w", err)
		}
		if _, dup := out[p.Origin()]; !dup { // this network's own comes first
			out[p.Origin()] = p
		}
	}
	return out, nil
}

// importPackage takes an evidence package (a ZIP), streamed to a file
// under the node's data directory and removed afterwards, verifies it
// under this node's trusted policies, and deposits the verdict on the
// ledger. A body that is no package, or no package this node can judge,
// is refused and nothing is recorded.
func (s *Server) importPackage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if err := access.ImportPackage(p, s.cfg.Institution, s.institutionKind()); err != nil {
		s.writeError(w, r, err)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/zip" && mt != "application/x-zip-compressed" && mt != "application/octet-stream" {
		s.writeError(w, r, &api.Error{Code: api.CodeUnsupportedMedia, Message: fmt.Sprintf("Content-Type: %q; send the package as application/zip", r.Header.Get("Content-Type"))})
		return
	}
	limit := s.cfg.MaxPackageSize
	if r.ContentLength > limit {
		s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("body: %d bytes; this node imports packages of at most %d bytes", r.ContentLength, limit)})
		return
	}
	want, err := bodyDigests(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.cfg.TempDir == "" {
		s.writeError(w, r, &api.Error{Code: api.CodeUnavailable, Message: "this node has no directory to receive packages in; its operator sets one"})
		return
	}
	if err := os.MkdirAll(s.cfg.TempDir, 0o700); err != nil {
		s.writeError(w, r, fmt.Errorf("the directory for imported packages: %w", err))
		return
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "import-*.zip")
	if err != nil {
		s.writeError(w, r, fmt.Errorf("a file for the imported package: %w", err))
		return
	}
	defer func() {
		f.Close()
		if err := os.Remove(f.Name()); err != nil {
			s.cfg.Logger.Error("removing an imported package", "file", f.Name(), "err", err)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.writeError(w, r, &api.Error{Code: api.CodeTooLarge, Message: fmt.Sprintf("body: longer than %d bytes, the most this node imports; nothing was recorded", limit)})
		return
	case err != nil:
		s.writeError(w, r, invalid("body: reading the package: %v; nothing was recorded", err))
		return
	case r.ContentLength >= 0 && n != r.ContentLength:
		s.writeError(w, r, invalid("body: %d bytes, but Content-Length says %d", n, r.ContentLength))
		return
	case n == 0:
		s.writeError(w, r, invalid("body: empty; send the evidence package (a ZIP file)"))
		return
	}
	for _, d := range want {
		if !bytes.Equal(h.Sum(nil), d.sum) {
			s.writeError(w, r, invalid("%s: the body's SHA-256 is %x, not the one the request names; nothing was recorded", d.field, h.Sum(nil)))
			return
		}
	}
	trusted, err := s.trustedPolicies()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := evidencepack.Verify(r.Context(), f, n, evidencepack.Options{Policies: trusted, Now: s.cfg.Now})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(rep.Items) == 0 {
		// Nothing of it could be judged (not a ZIP, a manifest no trusted
		// policy signs, a ZIP bomb): there is no verdict to record.
		s.writeError(w, r, invalid("package: %s; nothing was recorded", problemsText(rep.Problems)))
		return
	}
	rec := verdictOf(rep)
	rec.Type, rec.Network, rec.Node, rec.At = api.PackageVerdictType, s.cfg.Origin, s.cfg.Institution, s.cfg.Now().UTC()
	rec.Actor, rec.ActorRole = p.ID(), string(p.Role)
	b, err := json.Marshal(rec)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sum := s.cfg.Suite.Hash(b)
	im := office.Import{ID: "imp-" + hex.EncodeToString(sum[:10]), Case: rec.Case, At: rec.At, Verdict: rec.Verdict, Record: b}
	res, err := s.depositRecords(r.Context(), "package-verdict", []nodeRecord{{b: b, title: "package verdict: " + im.ID, idempotency: "verdict"}}, func(_ int, entry string) error {
		im.Entry = entry
		return s.cfg.Office.PutImport(r.Context(), im)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.cfg.Logger.Info("evidence package imported", "import", im.ID, "verdict", rec.Verdict, "items", rec.Items, "failed", rec.Failed, "actor", rec.Actor, "entry", res[0].ID)
	out, err := s.importInfo(&im)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// verdictOf turns a verification report into the verdict record's
// findings: verified only when the package has items and every one
// verified.
func verdictOf(rep *evidencepack.Report) api.PackageVerdict {
	v := api.PackageVerdict{ManifestDigest: rep.ManifestDigest, PackageNetwork: rep.Origin, Case: rep.Case, Results: []api.ItemVerdict{}}
	for _, it := range rep.Items {
		iv := api.ItemVerdict{Path: it.Path, Deposit: it.Deposit, Verdict: api.VerdictFailed, Check: it.Check, Reason: it.Reason}
		if it.Verdict == evidencepack.Verified {
			iv.Verdict = api.VerdictVerified
			v.Verified++
		} else {
			v.Failed++
		}
		v.Results = append(v.Results, iv)
	}
	for _, pr := range rep.Problems {
		v.Problems = append(v.Problems, api.PackageProblem{Path: pr.Path, Check: pr.Check, Reason: pr.Reason})
	}
	v.Items = len(v.Results)
	v.Verdict = api.VerdictFailed
	if rep.OK && v.Items > 0 && v.Failed == 0 {
		v.Verdict = api.VerdictVerified
	}
	return v
}

// problemsText joins the first problems of a package for an error
// message.
func problemsText(ps []evidencepack.Problem) string {
	const most = 5
	if len(ps) == 0 {
		return "not an evidence package"
	}
	texts := make([]string, 0, most+1)
	for i, p := range ps {
		if i == most {
			texts = append(texts, fmt.Sprintf("and %d more", len(ps)-most))
			break
		}
		texts = append(texts, p.String())
	}
	return strings.Join(texts, "; ")
}

// bodyDigest is a SHA-256 the request names for its streamed body.
type bodyDigest struct {
	field string
	sum   []byte
}

// bodyDigests reads the SHA-256s a request names for its body: ?sha256=
// (covered by the request signature, as the query is) and Content-Digest
// (RFC 9530, covered when the client signed it). A streamed body is not
// in the signature itself; these bind it.
func bodyDigests(r *http.Request) ([]bodyDigest, error) {
	var out []bodyDigest
	if q := r.URL.Query(); q.Has("sha256") {
		d, err := hex.DecodeString(q.Get("sha256"))
		if err != nil || len(d) != sha256.Size {
			return nil, invalid("sha256: need 64 hex characters, the SHA-256 of the package")
		}
		out = append(out, bodyDigest{"sha256", d})
	}
	if vs := r.Header.Values("Content-Digest"); len(vs) > 0 {
		dict, err := httpsfv.UnmarshalDictionary(vs)
		var d []byte
		if err == nil {
			if m, ok := dict.Get("sha-256"); ok {
				if item, ok := m.(httpsfv.Item); ok {
					d, _ = item.Value.([]byte)
				}
			}
		}
		if len(d) != sha256.Size {
			return nil, invalid("Content-Digest: need a sha-256 digest of the body (RFC 9530)")
		}
		out = append(out, bodyDigest{"Content-Digest", d})
	}
	return out, nil
}

// importInfo is an import as the API shows it: the verdict record and
// its ledger entry, with the receipt once committed.
func (s *Server) importInfo(im *office.Import) (*api.PackageImport, error) {
	var rec api.PackageVerdict
	if err := json.Unmarshal(im.Record, &rec); err != nil {
		return nil, fmt.Errorf("import %s: its verdict record: %w", im.ID, err)
	}
	out := &api.PackageImport{Import: im.ID, Case: im.Case, At: im.At, Verdict: im.Verdict, Items: rec.Results, Record: im.Record,
		Deposit: api.Result{ID: im.Entry, Status: api.StatusPending}}
	if out.Items == nil {
		out.Items = []api.ItemVerdict{}
	}
	res, err := s.result(im.Entry)
	if err != nil {
		return nil, err
	}
	if res != nil {
		out.Deposit = *res
	}
	if out.Deposit.Status != api.StatusCommitted {
		return out, nil
	}
	dep, err := s.cfg.Ledger.DepositByID(im.Entry)
	if errors.Is(err, ledger.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	rc, err := s.cfg.Ledger.Receipt(dep)
	if err != nil {
		return nil, err
	}
	out.Receipt = string(rc.Format())
	return out, nil
}

// packageImports lists this court's imports, newest first, of one case
// with ?case=.
func (s *Server) packageImports(w http.ResponseWriter, r *http.Request) {
	if err := access.ImportPackage(principal(r), s.cfg.Institution, s.institutionKind()); err != nil {
		s.writeError(w, r, err)
		return
	}
	caseNo := r.URL.Query().Get("case")
	if len(caseNo) > 200 || strings.ContainsFunc(caseNo, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		s.writeError(w, r, invalid("case: a case number of at most 200 bytes, one line"))
		return
	}
	list, err := s.cfg.Office.Imports(r.Context(), caseNo)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.PackageImports{Imports: []api.PackageImport{}}
	for i := range list {
		info, err := s.importInfo(&list[i])
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Imports = append(out.Imports, *info)
	}
	writeJSON(w, http.StatusOK, out)
}

// packageImport answers one import.
func (s *Server) packageImport(w http.ResponseWriter, r *http.Request) {
	if err := access.ImportPackage(principal(r), s.cfg.Institution, s.institutionKind()); err != nil {
		s.writeError(w, r, err)
		return
	}
	im, err := s.cfg.Office.ImportByID(r.Context(), r.PathValue("id"))
	if errors.Is(err, office.ErrNotFound) {
		err = &api.Error{Code: api.CodeNotFound, Message: "id: no import " + r.PathValue("id") + " at this court"}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	info, err := s.importInfo(im)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
