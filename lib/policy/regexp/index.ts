// Go (RE2) regular expressions for Flux tag filters, run by the JavaScript engine: syntax parses Go's grammar
// and refuses what Go refuses, safety refuses what could backtrack without bound in V8, compile emits the
// equivalent RegExp, expand is Go's Regexp.ExpandString for `filterTags.extract`.
export { compileGoRegexp, MAX_PATTERN_LENGTH, type GoRegexp } from './compile';
export { GoRegexpSyntaxError } from './syntax';
export { MAX_TAG_LENGTH, UnsafeRegexError } from './safety';
export { compileTemplate, expandTemplate, type TemplatePart } from './expand';
