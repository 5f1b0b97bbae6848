/**
 * Identity terms tied to one token per group ("blindness": Garg et al. 2019, "Counterfactual Fairness in Text
 * Classification through Robustness", AIES; the tied-embedding form of Dixon et al. 2018's identity-term bias
 * mitigation): every word of a group below maps to the same token id in tokenizer.json, so the model has one
 * row for all of them in every table (unigram, bigrams, negated row, convolution) and cannot answer differently
 * for "a Muslim doctor" and "a Hindu doctor". The shared row starts from the mean of the group's word vectors, so
 * no single group's GloVe associations carry over. Words outside these lists are not covered.
 *
 * The lists are written here from general knowledge (demonyms, religions and their adherents, racial and
 * ethnic group names, sexual orientations and gender identities); they are not taken from any evaluation set.
 * Singular / adjective forms and plural nouns are separate groups, so a sentence keeps its grammar class.
 */
import type { WordVectors } from './word-vectors.ts';

const NATIONALITIES = [
  'american', 'british', 'english', 'scottish', 'welsh', 'irish', 'canadian', 'mexican', 'brazilian', 'argentinian', 'argentine',
  'chilean', 'colombian', 'peruvian', 'venezuelan', 'cuban', 'jamaican', 'haitian', 'french', 'german', 'italian', 'spanish',
  'portuguese', 'dutch', 'belgian', 'swiss', 'austrian', 'swedish', 'norwegian', 'danish', 'finnish', 'icelandic', 'polish',
  'czech', 'slovak', 'hungarian', 'romanian', 'bulgarian', 'greek', 'serbian', 'croatian', 'bosnian', 'albanian', 'ukrainian',
  'russian', 'belarusian', 'lithuanian', 'latvian', 'estonian', 'turkish', 'armenian', 'georgian', 'azerbaijani', 'iranian',
  'iraqi', 'syrian', 'lebanese', 'jordanian', 'israeli', 'palestinian', 'saudi', 'yemeni', 'emirati', 'qatari', 'kuwaiti',
  'egyptian', 'libyan', 'tunisian', 'algerian', 'moroccan', 'sudanese', 'ethiopian', 'eritrean', 'somali', 'kenyan', 'ugandan',
  'tanzanian', 'rwandan', 'congolese', 'nigerian', 'ghanaian', 'senegalese', 'cameroonian', 'angolan', 'zimbabwean', 'zambian',
  'afghan', 'pakistani', 'indian', 'bangladeshi', 'nepali', 'nepalese', 'burmese', 'thai',
  'vietnamese', 'cambodian', 'laotian', 'malaysian', 'singaporean', 'indonesian', 'filipino', 'chinese', 'taiwanese', 'japanese',
  'korean', 'mongolian', 'kazakh', 'uzbek', 'australian', 'samoan', 'fijian',
];
const NATIONALITY_PLURALS = [
  'americans', 'brits', 'canadians', 'mexicans', 'brazilians', 'argentinians', 'chileans', 'colombians', 'peruvians', 'venezuelans',
  'cubans', 'jamaicans', 'haitians', 'germans', 'italians', 'spaniards', 'belgians', 'austrians', 'swedes', 'norwegians', 'danes',
  'finns', 'poles', 'czechs', 'hungarians', 'romanians', 'bulgarians', 'greeks', 'serbs', 'croats', 'ukrainians', 'russians',
  'turks', 'armenians', 'iranians', 'iraqis', 'syrians', 'lebanese', 'israelis', 'palestinians', 'saudis', 'egyptians', 'libyans',
  'moroccans', 'ethiopians', 'somalis', 'kenyans', 'nigerians', 'ghanaians', 'afghans', 'pakistanis', 'indians', 'bangladeshis',
  'thais', 'vietnamese', 'filipinos', 'chinese', 'japanese', 'koreans', 'indonesians', 'malaysians', 'australians',
];
const RELIGIONS = [
  'christian', 'catholic', 'protestant', 'evangelical', 'orthodox', 'mormon', 'muslim', 'islamic', 'sunni', 'shia', 'jewish', 'hindu',
  'buddhist', 'sikh', 'jain', 'bahai', 'taoist', 'shinto', 'atheist', 'agnostic', 'pagan', 'wiccan',
];
const RELIGION_PLURALS = [
  'christians', 'catholics', 'protestants', 'evangelicals', 'mormons', 'muslims', 'jews', 'hindus', 'buddhists', 'sikhs', 'jains',
  'taoists', 'atheists', 'agnostics', 'pagans',
];
const RACES = [
  'black', 'white', 'asian', 'hispanic', 'latino', 'latina', 'latinx', 'arab', 'african', 'caucasian', 'indigenous', 'aboriginal',
  'biracial', 'multiracial',
];
const RACE_PLURALS = ['blacks', 'whites', 'asians', 'hispanics', 'latinos', 'latinas', 'arabs', 'africans', 'caucasians'];
const SEXUALITIES = [
  'gay', 'lesbian', 'straight', 'bisexual', 'bi', 'pansexual', 'asexual', 'queer', 'heterosexual', 'homosexual', 'transgender', 'trans',
  'cisgender', 'cis', 'nonbinary', 'intersex', 'lgbt', 'lgbtq',
];
const SEXUALITY_PLURALS = ['gays', 'lesbians', 'bisexuals', 'heterosexuals', 'homosexuals', 'transgenders', 'queers'];

/** Each group's words; the first is the token the others share (its row is the group's). */
export const IDENTITY_GROUPS: Readonly<Record<string, readonly string[]>> = {
  nationality: NATIONALITIES,
  'nationality (plural)': NATIONALITY_PLURALS.filter((w) => !NATIONALITIES.includes(w)),
  religion: RELIGIONS,
  'religion (plural)': RELIGION_PLURALS,
  race: RACES,
  'race (plural)': RACE_PLURALS,
  sexuality: SEXUALITIES,
  'sexuality (plural)': SEXUALITY_PLURALS,
};

/** word → the group's first word, for every other word of a group. */
export function identityTies(groups: Readonly<Record<string, readonly string[]>> = IDENTITY_GROUPS): Map<string, string> {
  const ties = new Map<string, string>();
  for (const words of Object.values(groups)) {
    for (const w of words.slice(1)) if (!ties.has(w)) ties.set(w, words[0]!);
  }
  return ties;
}

/** Word vectors where each group's shared word has the mean vector of the group's words (the others unchanged). */
export function withGroupVectors(wv: WordVectors, ties: ReadonlyMap<string, string>): WordVectors {
  const members = new Map<string, string[]>();
  for (const [w, head] of ties) members.set(head, [...(members.get(head) ?? [head]), w]);
  const means = new Map<string, Float32Array>();
  for (const [head, words] of members) {
    const vs = words.map((w) => wv.get(w)).filter((v): v is Float32Array => v !== undefined);
    if (!vs.length) continue;
    const m = new Float32Array(wv.dim);
    for (const v of vs) for (let d = 0; d < wv.dim; d++) m[d]! += v[d]! / vs.length;
    means.set(head, m);
  }
  return { dim: wv.dim, words: wv.words, get: (w) => means.get(w) ?? (ties.has(w) ? undefined : wv.get(w)) };
}
