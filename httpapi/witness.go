package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/witness"
)

// addCheckpoint answers POST /witness/add-checkpoint, C2SP tlog-witness:
// this node cosigns the checkpoints of the logs it witnesses. Its answers
// are the protocol's (statuses, and a text/x.tlog.size body on a 409 that
// names the size cosigned), so any tlog-witness client can use it.
func (s *Server) addCheckpoint(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Witness == nil {
		s.writeError(w, r, &api.Error{Code: api.CodeNotFound, Message: "this node witnesses no log (jurichain witness add-log)"})
		return
	}
	s.cfg.Witness.ServeHTTP(w, r)
}

// parseWitnessed reads ?witnessed=, which asks for the receipt at the
// latest checkpoint every configured outside witness cosigned.
func parseWitnessed(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("witnessed"); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, invalid("witnessed: %q is neither 1 nor 0", v)
	}
}

func notWitnessed(format string, args ...any) *api.Error {
	e := invalid(format, args...)
	e.Code = api.CodeNotWitnessed
	return e
}

// witnessedReceipt replaces the receipt of info, a committed deposit, by
// its receipt at the latest final checkpoint that every outside witness
// configured on this node cosigned.
func (s *Server) witnessedReceipt(r *http.Request, info *api.DepositInfo, rec *ledger.Record) error {
	if s.cfg.Witnesses == nil {
		return notWitnessed("this node asks no outside witness to cosign its checkpoints (jurichain serve --witness)")
	}
	size, ok, err := s.cfg.Witnesses.Witnessed()
	if err != nil {
		return err
	}
	if !ok || size <= rec.Leaf.Index {
		return notWitnessed("no checkpoint cosigned by every witness (%v) covers deposit #%d yet; ask again later", s.cfg.Witnesses.Names(), rec.Leaf.Index)
	}
	rc, err := s.cfg.Ledger.ReceiptAt(rec, size)
	if err != nil {
		return err
	}
	info.Receipt = string(rc.Format())
	info.CheckpointTimestamp, err = s.checkpointToken(r.Context(), map[uint64][]byte{}, rc.Checkpoint)
	return err
}

// witnessRequests reports jurichain_witness_requests_total.
type witnessRequests struct{ c *witness.Client }

var witnessRequestsDesc = prometheus.NewDesc("jurichain_witness_requests_total",
	"Requests to outside witnesses to cosign a final checkpoint, by result.", []string{"witness", "result"}, nil)

func (m witnessRequests) Describe(ch chan<- *prometheus.Desc) { ch <- witnessRequestsDesc }

func (m witnessRequests) Collect(ch chan<- prometheus.Metric) {
	for _, n := range m.c.Requests() {
		ch <- prometheus.MustNewConstMetric(witnessRequestsDesc, prometheus.CounterValue, float64(n.N), n.Witness, n.Result)
	}
}
