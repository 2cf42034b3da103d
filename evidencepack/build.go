package evidencepack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
)

// ErrNoOriginal is what Source.Original returns when the packager may not
// read the original or none was uploaded: the item goes without it.
var ErrNoOriginal = errors.New("no original the packager may read")

// Source is what a Builder gathers a case's evidence from: on a node, its
// ledger, office and vault, with the requester's rights applied.
type Source interface {
	// Items lists the ids of the deposits in the package.
	Items(ctx context.Context) ([]string, error)
	// Item returns a deposit's receipt and what else the packager may
	// read of it.
	Item(ctx context.Context, id string) (*Item, error)
	// Original opens a deposit's original and names its file;
	// ErrNoOriginal when there is none to include.
	Original(ctx context.Context, id string) (name string, body io.ReadCloser, err error)
	// Policies returns each network's policy in force now and every
	// earlier one (GET /policy?height=).
	Policies(ctx context.Context) ([]PolicyVersion, error)
}

// Item is one deposit's files, as a Source gives them.
type Item struct {
	Deposit string
	// Receipt is the deposit's tlog-proof.
	Receipt []byte
	// Composed is the receipt upgraded through an anchor, nil when no
	// anchor covers it yet.
	Composed []byte
	// Opening is the metadata opening (JSON), nil when the packager may
	// not read it.
	Opening []byte
	// Certificate is the sealed certificate PDF, nil when none was issued.
	Certificate []byte
	// Trail is the deposit's access trail as the packager may see it.
	Trail []TrailEntry
}

// TrailEntry is one access-trail record, the exact bytes deposited, and
// the receipt of that deposit.
type TrailEntry struct {
	Record  []byte
	Receipt []byte
}

// PolicyVersion is one policy text of a network: Current, or in force
// from block height Height on.
type PolicyVersion struct {
	Current bool
	Height  uint64
	Text    []byte
}

// Header says who makes the package and for which case.
type Header struct {
	Network, Institution, Court, Case string
	Created                           time.Time
}

// Build writes the package of src's items to w, signing the manifest with
// signer (the node's log key, named by the network's origin). Originals
// are streamed; everything else of an item is held while it is written.
func Build(ctx context.Context, w io.Writer, h Header, src Source, signer note.Signer) error {
	if signer.Name() != h.Network {
		return fmt.Errorf("the manifest signer is named %q, not the network's origin %q: sign with the node's log key", signer.Name(), h.Network)
	}
	zw := zip.NewWriter(w)
	b := &builder{zw: zw, m: Manifest{Network: h.Network, Institution: h.Institution, Court: h.Court, Case: h.Case, Created: h.Created.UTC().Truncate(time.Second)}}
	pols, err := src.Policies(ctx)
	if err != nil {
		return fmt.Errorf("reading the policies: %w", err)
	}
	var summaries []PolicySummary
	for _, pv := range pols {
		pol, err := policy.Parse(pv.Text)
		if err != nil {
			return fmt.Errorf("a policy of the package: %w", err)
		}
		path := policiesDir + originFile(pol.Origin()) + ".policy"
		if !pv.Current {
			path = policiesDir + originFile(pol.Origin()) + "/height-" + strconv.FormatUint(pv.Height, 10) + ".policy"
		}
		if err := b.file(path, pv.Text); err != nil {
			return err
		}
		summaries = append(summaries, PolicySummary{Origin: pol.Origin(), Current: pv.Current, Height: pv.Height, Path: path})
	}
	ids, err := src.Items(ctx)
	if err != nil {
		return fmt.Errorf("listing the case's evidence: %w", err)
	}
	list := ItemList{Version: 1, Network: h.Network, Institution: h.Institution, Court: h.Court, Case: h.Case, Created: b.m.Created, Policies: summaries, Items: []ItemInfo{}}
	for n, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := b.item(ctx, src, n+1, id)
		if err != nil {
			return fmt.Errorf("deposit %s: %w", id, err)
		}
		list.Items = append(list.Items, *info)
	}
	js, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := b.file(ItemsPath, append(js, '\n')); err != nil {
		return err
	}
	page, err := renderIndex(&list)
	if err != nil {
		return err
	}
	if err := b.file(IndexPath, page); err != nil {
		return err
	}
	signed, err := note.Sign(&note.Note{Text: b.m.Text()}, signer)
	if err != nil {
		return fmt.Errorf("signing the manifest: %w", err)
	}
	if err := b.file(ManifestPath, signed); err != nil {
		return err
	}
	return zw.Close()
}

type builder struct {
	zw *zip.Writer
	m  Manifest
}

// storeBelow is the size under which a file is stored, not deflated:
// openings and trail records save a few dozen bytes each deflated, and a
// verifier would build Huffman tables for every one of them.
const storeBelow = 4 << 10

// file writes one file and lists it in the manifest (but the manifest).
// Receipts are stored: mostly hashes, they do not compress, and reading
// 10,000 of them back is cheaper uncompressed. So are small files.
func (b *builder) file(path string, data []byte) error {
	method := zip.Deflate
	if strings.HasSuffix(path, receipt.FileExtension) || strings.HasSuffix(path, ".pdf") || len(data) < storeBelow {
		method = zip.Store
	}
	_, err := b.stream(path, bytes.NewReader(data), method)
	return err
}

func (b *builder) stream(path string, r io.Reader, method uint16) (*FileEntry, error) {
	if path != ManifestPath {
		if err := CheckPath(path); err != nil {
			return nil, err
		}
	}
	fw, err := b.zw.CreateHeader(&zip.FileHeader{Name: path, Method: method, Modified: b.m.Created})
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fw, h), r)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if path == ManifestPath {
		return nil, nil
	}
	f := FileEntry{Size: uint64(n), Path: path}
	h.Sum(f.SHA256[:0])
	b.m.Files = append(b.m.Files, f)
	return &f, nil
}

// item writes items/<n>/ and describes it.
func (b *builder) item(ctx context.Context, src Source, n int, id string) (*ItemInfo, error) {
	it, err := src.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	rc, err := receipt.Parse(it.Receipt)
	if err != nil {
		return nil, fmt.Errorf("its receipt: %w", err)
	}
	leaf, err := deposit.ParseLeaf(rc.Leaf)
	if err != nil {
		return nil, fmt.Errorf("its receipt's leaf: %w", err)
	}
	dir := itemsDir + strconv.Itoa(n) + "/"
	info := &ItemInfo{Path: itemsDir + strconv.Itoa(n), Deposit: id, Number: leaf.Index, Size: leaf.Size, Digests: map[string]string{},
		Certified: leaf.Time.UTC(), Height: leaf.Height, Files: []string{}}
	for _, d := range leaf.Digests {
		info.Digests[d.Algorithm.String()] = hex.EncodeToString(d.Value)
	}
	add := func(name string, data []byte) error {
		if data == nil {
			return nil
		}
		info.Files = append(info.Files, dir+name)
		return b.file(dir+name, data)
	}
	if err := add(receiptName, it.Receipt); err != nil {
		return nil, err
	}
	if err := add(anchoredName, it.Composed); err != nil {
		return nil, err
	}
	info.Anchored = it.Composed != nil
	if it.Opening != nil {
		var op deposit.Opening
		if err := json.Unmarshal(it.Opening, &op); err == nil {
			info.Title, info.MediaType = op.Title, op.MediaType
		}
	}
	if err := add(openingName, it.Opening); err != nil {
		return nil, err
	}
	if err := add(certificateName, it.Certificate); err != nil {
		return nil, err
	}
	for k, te := range it.Trail {
		name := trailDir + strconv.Itoa(k+1)
		if err := add(name+".json", te.Record); err != nil {
			return nil, err
		}
		if err := add(name+receipt.FileExtension, te.Receipt); err != nil {
			return nil, err
		}
	}
	name, body, err := src.Original(ctx, id)
	switch {
	case errors.Is(err, ErrNoOriginal):
	case err != nil:
		return nil, fmt.Errorf("its original: %w", err)
	default:
		defer body.Close()
		path := dir + originalDir + SafeName(name)
		// The original is checked against the deposit as it is written:
		// a package never carries a file its receipt would refuse.
		hs := map[string]hash.Hash{}
		var ws []io.Writer
		for _, d := range leaf.Digests {
			if h, err := newContentHash(d.Algorithm); err == nil {
				hs[d.Algorithm.String()] = h
				ws = append(ws, h)
			}
		}
		if _, err := b.stream(path, io.TeeReader(body, io.MultiWriter(ws...)), zip.Store); err != nil {
			return nil, err
		}
		for _, d := range leaf.Digests {
			if h := hs[d.Algorithm.String()]; h != nil && !bytes.Equal(h.Sum(nil), d.Value) {
				return nil, fmt.Errorf("its original's %s is not the deposit's", d.Algorithm)
			}
		}
		info.Files = append(info.Files, path)
		info.Original = path
	}
	sort.Strings(info.Files)
	return info, nil
}
