/** Which token ids open and close the model's hand-written windows (negation scope, contrast, intensity). */
/** Words that open a negation scope ("n't" is normalised to "not"). */
export const NEGATORS = ['not', 'no', 'never', 'nothing', 'nobody', 'none', 'neither', 'nor', 'without', 'hardly', 'barely', 'nowhere'];
/** Tokens that close one: punctuation and contrast words. */
export const SCOPE_BREAKS = ['.', ',', ';', ':', '!', '?', '(', ')', 'but', 'however', 'although', 'though', 'yet'];
/** Words whose preceding clause a contrast window marks (ModelShape.contrastMarkers). */
export const CONTRAST_MARKERS = ['but', 'however', 'yet', 'nevertheless', 'nonetheless'];
/** Words that strengthen the next word or two (ModelShape.intensifiers). */
export const INTENSIFIERS = ['very', 'really', 'so', 'extremely', 'incredibly', 'absolutely', 'totally', 'truly', 'highly', 'super', 'utterly', 'completely', 'especially', 'particularly', 'remarkably', 'exceptionally', 'seriously', 'insanely', 'ridiculously', 'most'];
/** Words that weaken the next word or two (ModelShape.reducers; "a bit" / "a little" by their second word). */
export const REDUCERS = ['slightly', 'somewhat', 'fairly', 'rather', 'mildly', 'moderately', 'kinda', 'sorta', 'bit', 'little', 'almost', 'reasonably', 'relatively', 'marginally', 'partly', 'partially', 'quite'];

