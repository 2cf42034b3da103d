package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler serves the node's Prometheus metrics. Every value is read
// when scraped, so nothing on the deposit path pays for them.
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "jurichain", Name: name, Help: help}, f))
	}
	gauge("height", "Height of the last committed block.", func() float64 { return float64(s.cfg.Ledger.Committed().Height) })
	gauge("tree_size", "Size of the tree of the latest final (quorum-cosigned) checkpoint.", func() float64 { return float64(s.cfg.Ledger.Committed().Size) })
	gauge("replica_tree_size", "Size of this node's tree, final or not.", func() float64 { return float64(s.cfg.Ledger.Committed().TreeSize) })
	gauge("cosignature_lag_entries", "Deposits in this node's tree not yet covered by a final checkpoint.", func() float64 {
		snap := s.cfg.Ledger.Committed()
		return float64(snap.TreeSize - snap.Size)
	})
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "jurichain", Name: "deposits_committed_total", Help: "Deposits covered by a final checkpoint."},
		func() float64 { return float64(s.cfg.Ledger.Committed().Size) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "jurichain", Name: "share_code_failures_total", Help: "Wrong share codes given to read a deposit."},
		func() float64 { return float64(s.guesses.failed.Load()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "jurichain", Name: "deposit_signatures_verified_total", Help: "Deposit signatures verified by the API, submitted or access-trail deposits."},
		func() float64 { return float64(s.verified.Load()) }))
	if s.cfg.MempoolSize != nil {
		gauge("mempool_size", "Transactions waiting for a block.", func() float64 { return float64(s.cfg.MempoolSize()) })
	}
	if s.cfg.Peers != nil {
		gauge("peers", "Connected CometBFT peers.", func() float64 { return float64(s.cfg.Peers()) })
	}
	if s.cfg.Witnesses != nil {
		reg.MustRegister(witnessRequests{s.cfg.Witnesses})
	}
	if s.cfg.Outbound != nil {
		reg.MustRegister(s.cfg.Outbound)
	}
	reg.MustRegister(cosignatureAge{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// cosignatureAge reports, per validator, how old its latest cosignature on
// a final checkpoint is: a validator that stops cosigning shows a growing
// age.
type cosignatureAge struct{ s *Server }

var cosignatureAgeDesc = prometheus.NewDesc("jurichain_cosignature_age_seconds",
	"Seconds since the validator signed the latest final checkpoint that carries its cosignature.", []string{"institution"}, nil)

func (c cosignatureAge) Describe(ch chan<- *prometheus.Desc) { ch <- cosignatureAgeDesc }

func (c cosignatureAge) Collect(ch chan<- prometheus.Metric) {
	now := c.s.cfg.Now()
	for name, co := range c.s.cfg.Ledger.Cosigners() {
		ch <- prometheus.MustNewConstMetric(cosignatureAgeDesc, prometheus.GaugeValue, now.Sub(co.At).Seconds(), name)
	}
}
