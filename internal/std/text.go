package std

import (
	// text.nlu: intents, entities and yes/no answers from text and transcripts.
	_ "github.com/parleyhq/parley/perception/text"
)
