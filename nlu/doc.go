// Package nlu understands short customer messages without a cloud model or a model download.
//
// Intents: Train learns a classifier in seconds from labelled examples (a knowledge pack's, or a
// data set such as banking77). Texts become TF-IDF weighted word uni/bigrams and character 2-5
// grams (each view L2-normalised), a one-vs-rest L2-loss linear SVM is fitted by dual coordinate
// descent, and held-out folds of the same examples calibrate the scores into probabilities (Platt
// scaling) and pick the out-of-scope threshold. Classify takes tens of microseconds.
//
// Entities: ParseAmount reads money in digits and in words ("$1,250.75", "twelve fifty seventy
// five", "one thousand two hundred fifty and 75/100"), ParseDigits spoken digit strings ("double
// four oh seven"), ParseDates dates ("Nov 20, 2026", "November twentieth", "yesterday"),
// ParseErrorCodes and ParseProducts codes and models, ParseYesNo answers; Extract runs them all
// over a message with non-overlapping spans. Mask hides account and card numbers in logs.
package nlu
