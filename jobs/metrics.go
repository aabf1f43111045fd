package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus series of perception jobs; a nil *Metrics records nothing.
type Metrics struct {
	// Node side.
	Published *prometheus.CounterVec   // jobs queued, by stage
	Reused    *prometheus.CounterVec   // results found stored before queuing, by stage
	Local     *prometheus.CounterVec   // jobs the node ran itself, by stage and why (timeout, unqueued)
	Wait      *prometheus.HistogramVec // time from queuing to the result, by stage
	// Worker side.
	Done *prometheus.CounterVec   // jobs handled, by stage and outcome
	Run  *prometheus.HistogramVec // time to read a job's parts, by stage
}

// NewMetrics returns the series, registered on reg when it is not nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	buckets := prometheus.ExponentialBuckets(0.005, 2.5, 10)
	m := &Metrics{
		Published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_jobs_published_total",
			Help: "Perception jobs queued for workers, by stage."}, []string{"stage"}),
		Reused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_jobs_reused_total",
			Help: "Perception job results found stored before queuing, by stage."}, []string{"stage"}),
		Local: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_jobs_local_total",
			Help: "Perception jobs the node ran itself: no worker answered in time, or the queue refused the job."}, []string{"stage", "why"}),
		Wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "parley_jobs_wait_seconds",
			Help: "Time from queuing a perception job to its result.", Buckets: buckets}, []string{"stage"}),
		Done: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_jobs_handled_total",
			Help: "Perception jobs a worker handled, by stage and outcome (stored, already_stored, failed, bad, unknown_stage, other_version)."}, []string{"stage", "outcome"}),
		Run: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "parley_jobs_run_seconds",
			Help: "Time a worker took to read a job's parts and store the result.", Buckets: buckets}, []string{"stage"}),
	}
	if reg != nil {
		reg.MustRegister(m.Published, m.Reused, m.Local, m.Wait, m.Done, m.Run)
	}
	return m
}

func (m *Metrics) published(stage string) {
	if m != nil {
		m.Published.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) reused(stage string) {
	if m != nil {
		m.Reused.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) local(stage, why string) {
	if m != nil {
		m.Local.WithLabelValues(stage, why).Inc()
	}
}

func (m *Metrics) waited(stage string, d time.Duration) {
	if m != nil {
		m.Wait.WithLabelValues(stage).Observe(d.Seconds())
	}
}

func (m *Metrics) done(stage, outcome string) {
	if m != nil {
		m.Done.WithLabelValues(stage, outcome).Inc()
	}
}

func (m *Metrics) ran(stage string, d time.Duration) {
	if m != nil {
		m.Run.WithLabelValues(stage).Observe(d.Seconds())
	}
}
