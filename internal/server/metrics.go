package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus series, on a registry of its own so that several servers can
// live in one process (tests).
type metrics struct {
	reg         *prometheus.Registry
	stage       *prometheus.HistogramVec
	stageErrors *prometheus.CounterVec
	turn        prometheus.Histogram
	turns       *prometheus.CounterVec
	resolutions prometheus.Counter
	// resolution is the time from first contact to resolution, by pack.
	resolution *prometheus.HistogramVec
	// output is how long each output of a diagnosis (report, guide, order) took to make, by pack.
	output   *prometheus.HistogramVec
	handoffs prometheus.Counter
	csat     prometheus.Histogram
	parts    *prometheus.CounterVec
	// conflicts counts changes redone because another node saved the conversation first.
	conflicts prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_stage_seconds", Help: "Latency of each perception stage.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 3, 12),
		}, []string{"stage"}),
		stageErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_stage_errors_total", Help: "Perception stage failures."}, []string{"stage"}),
		turn: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_turn_seconds", Help: "Latency of a whole customer turn, from receipt to reply.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 3, 12),
		}),
		turns:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_turns_total", Help: "Customer turns by pack."}, []string{"pack"}),
		resolutions: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_resolutions_total", Help: "Conversations resolved without a person."}),
		resolution: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_resolution_seconds", Help: "Time from first contact to resolution, by pack.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 14),
		}, []string{"pack"}),
		output: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_diagnosis_output_seconds", Help: "Time to make each output of a diagnosis (report, guide, order), by pack.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 3, 10),
		}, []string{"pack", "output"}),
		handoffs: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_handoffs_total", Help: "Conversations handed to a person."}),
		csat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_csat_score", Help: "Customer satisfaction scores.", Buckets: []float64{1, 2, 3, 4, 5},
		}),
		parts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_message_parts_total", Help: "Message parts by modality."}, []string{"kind"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_conversation_conflicts_total",
			Help: "Conversation changes redone on fresh state because another node saved first."}),
	}
	m.reg.MustRegister(m.stage, m.stageErrors, m.turn, m.turns, m.resolutions, m.resolution, m.output, m.handoffs, m.csat, m.parts, m.conflicts,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeStage(stage string, d time.Duration, err error) {
	m.stage.WithLabelValues(stage).Observe(d.Seconds())
	if err != nil {
		m.stageErrors.WithLabelValues(stage).Inc()
	}
}
