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
  'korean', 'mongolian', 'kazakh', 'uzbek', 'australian', 'samoan', 'fijian', 'bolivian', 'ecuadorian', 'paraguayan', 'uruguayan',
  'guatemalan', 'honduran', 'salvadoran', 'nicaraguan', 'panamanian', 'dominican', 'trinidadian', 'bahamian', 'barbadian', 'maltese',
  'cypriot', 'slovenian', 'slovene', 'macedonian', 'montenegrin', 'moldovan', 'kosovar', 'bahraini', 'omani', 'mauritanian', 'malian',
  'chadian', 'ivorian', 'liberian', 'guinean', 'beninese', 'togolese', 'gabonese', 'namibian', 'botswanan', 'malawian', 'mozambican',
  'malagasy', 'mauritian', 'burundian', 'djiboutian', 'kyrgyz', 'tajik', 'turkmen', 'bhutanese', 'maldivian', 'tibetan', 'kurdish',
  'scots', 'european', 'lao', 'luxembourgish', 'andorran', 'monegasque', 'liechtensteiner', 'greenlandic', 'tongan',
  'papuan', 'hawaiian', 'bruneian', 'timorese', 'gambian', 'comoran', 'seychellois', 'eswatini', 'swazi',
  'basotho', 'sahrawi', 'yemenite', 'argentinean', 'belizean', 'guyanese', 'surinamese', 'grenadian', 'vincentian',
  // Country adjectives that differ from the demonym, and the remaining sovereign states' demonyms.
  'philippine', 'filipina', 'kazakhstani', 'uzbekistani', 'tajikistani', 'kirghiz', 'afghani', 'azeri', 'persian', 'khmer',
  'burkinabe', 'nigerien', 'comorian', 'equatoguinean', 'motswana', 'batswana', 'mosotho', 'lesothan', 'tobagonian', 'antiguan',
  'barbudan', 'kittitian', 'nevisian', 'bajan', 'bermudian', 'salvadorean', 'kosovan', 'herzegovinian', 'luxembourger',
  'monacan', 'sammarinese', 'vatican', 'faroese', 'manx', 'gibraltarian', 'greenlander', 'palauan', 'marshallese', 'micronesian',
  'nauruan', 'tuvaluan', 'vanuatuan', 'kiribati', 'macanese', 'hongkonger', 'somalian', 'belarusan', 'emirian', 'cornish',
];
const NATIONALITY_PLURALS = [
  'americans', 'brits', 'canadians', 'mexicans', 'brazilians', 'argentinians', 'chileans', 'colombians', 'peruvians', 'venezuelans',
  'cubans', 'jamaicans', 'haitians', 'germans', 'italians', 'spaniards', 'belgians', 'austrians', 'swedes', 'norwegians', 'danes',
  'finns', 'poles', 'czechs', 'hungarians', 'romanians', 'bulgarians', 'greeks', 'serbs', 'croats', 'ukrainians', 'russians',
  'turks', 'armenians', 'iranians', 'iraqis', 'syrians', 'lebanese', 'israelis', 'palestinians', 'saudis', 'egyptians', 'libyans',
  'moroccans', 'ethiopians', 'somalis', 'kenyans', 'nigerians', 'ghanaians', 'afghans', 'pakistanis', 'indians', 'bangladeshis',
  'thais', 'vietnamese', 'filipinos', 'chinese', 'japanese', 'koreans', 'indonesians', 'malaysians', 'australians', 'europeans',
  'scots', 'irishmen', 'englishmen', 'frenchmen', 'dutchmen', 'kurds', 'tibetans', 'bolivians', 'ecuadorians', 'uruguayans',
  'guatemalans', 'hondurans', 'salvadorans', 'nicaraguans', 'dominicans', 'cypriots', 'slovenians', 'macedonians', 'moldovans',
  'omanis', 'malians', 'liberians', 'guineans', 'namibians', 'malawians', 'mozambicans', 'tajiks', 'uzbeks', 'kazakhs', 'mongolians',
  'cambodians', 'burmese', 'nepalis', 'sudanese', 'somalians', 'ugandans', 'tanzanians', 'rwandans', 'zimbabweans', 'zambians',
  'senegalese', 'congolese', 'cameroonians', 'angolans', 'tunisians', 'algerians', 'jordanians', 'yemenis', 'qataris', 'kuwaitis',
  'emiratis', 'lithuanians', 'latvians', 'estonians', 'belarusians', 'georgians', 'azerbaijanis', 'albanians', 'bosnians', 'slovaks',
  'portuguese', 'swiss', 'icelanders', 'taiwanese', 'singaporeans', 'fijians', 'samoans', 'haitians', 'jamaicans', 'canadians',
];
const RELIGIONS = [
  'christian', 'catholic', 'protestant', 'evangelical', 'orthodox', 'mormon', 'muslim', 'islamic', 'sunni', 'shia', 'jewish', 'hindu',
  'buddhist', 'sikh', 'jain', 'bahai', 'taoist', 'shinto', 'atheist', 'agnostic', 'pagan', 'wiccan', 'jew', 'anglican', 'baptist',
  'methodist', 'lutheran', 'presbyterian', 'pentecostal', 'adventist', 'quaker', 'amish', 'mennonite', 'unitarian', 'episcopalian',
  'calvinist', 'coptic', 'confucian', 'confucianist', 'zoroastrian', 'rastafarian', 'rastafari', 'scientologist', 'druze', 'satanist',
  'animist', 'secular', 'religious', 'nonreligious', 'irreligious', 'hasidic', 'shiite', 'salafi', 'wahhabi', 'sufi', 'ismaili',
  'shintoist', 'deist', 'humanist', 'christianity', 'islam', 'judaism', 'hinduism', 'buddhism', 'sikhism', 'jainism', 'taoism',
  'catholicism', 'protestantism', 'mormonism', 'atheism', 'agnosticism', 'paganism', 'shintoism', 'confucianism', 'zoroastrianism',
  'ahmadi', 'ahmadiyya', 'alawite', 'yazidi', 'samaritan', 'karaite', 'mandaean', 'tengrist', 'vodou', 'voodoo', 'santeria',
  'candomble', 'shamanist', 'shamanistic', 'druid', 'druidic', 'neopagan', 'heathen', 'spiritualist', 'pantheist', 'theist',
  'monotheist', 'polytheist', 'eckankar', 'tenrikyo', 'caodaist', 'cheondoist', 'vaishnava', 'vaishnavite', 'shaivite', 'shakta',
  'theravada', 'mahayana', 'vajrayana', 'zen', 'lamaist', 'rastafarianism', 'wicca', 'scientology', 'jainist', 'hebrew',
  'israelite', 'anabaptist', 'evangelist', 'fundamentalist', 'nondenominational', 'christadelphian', 'moravian', 'hutterite',
  'huguenot', 'puritan', 'shaker', 'chaldean', 'maronite', 'nestorian', 'jacobite', 'melkite', 'sunnite',
  'shiite', 'ibadi', 'ismaili', 'twelver', 'parsi', 'parsee', 'bahaist', 'unitarianist', 'universalist',
];
const RELIGION_PLURALS = [
  'christians', 'catholics', 'protestants', 'evangelicals', 'mormons', 'muslims', 'jews', 'hindus', 'buddhists', 'sikhs', 'jains',
  'taoists', 'atheists', 'agnostics', 'pagans', 'anglicans', 'baptists', 'methodists', 'lutherans', 'presbyterians', 'pentecostals',
  'adventists', 'quakers', 'mennonites', 'unitarians', 'episcopalians', 'calvinists', 'copts', 'confucianists', 'zoroastrians',
  'rastafarians', 'scientologists', 'satanists', 'animists', 'humanists', 'shiites', 'sunnis', 'sufis', 'wiccans', 'deists', 'jains',
  'ahmadis', 'alawites', 'yazidis', 'samaritans', 'druids', 'neopagans', 'heathens', 'spiritualists', 'pantheists', 'theists',
  'monotheists', 'polytheists', 'israelites', 'hebrews', 'anabaptists', 'fundamentalists', 'evangelists', 'christadelphians',
  'moravians', 'hutterites', 'huguenots', 'puritans', 'shakers', 'chaldeans', 'maronites', 'parsis', 'parsees', 'universalists',
];
const RACES = [
  'black', 'white', 'asian', 'hispanic', 'latino', 'latina', 'latinx', 'arab', 'african', 'caucasian', 'indigenous', 'aboriginal',
  'biracial', 'multiracial', 'native', 'romani', 'roma', 'gypsy', 'inuit', 'maori',
  'polynesian', 'melanesian', 'semitic', 'slavic', 'nordic', 'mestizo', 'creole',
];
const RACE_PLURALS = ['blacks', 'whites', 'asians', 'hispanics', 'latinos', 'latinas', 'arabs', 'africans', 'caucasians', 'natives', 'slavs', 'gypsies', 'polynesians', 'aborigines'];
const SEXUALITIES = [
  'gay', 'lesbian', 'straight', 'bisexual', 'bi', 'pansexual', 'asexual', 'queer', 'heterosexual', 'homosexual', 'transgender', 'trans',
  'cisgender', 'cis', 'nonbinary', 'intersex', 'lgbt', 'lgbtq', 'lgbtqia', 'demisexual', 'polysexual', 'omnisexual', 'genderqueer',
  'genderfluid', 'agender', 'bigender', 'transsexual', 'androgynous', 'polyamorous',
];
const SEXUALITY_PLURALS = ['gays', 'lesbians', 'bisexuals', 'heterosexuals', 'homosexuals', 'transgenders', 'queers', 'asexuals', 'pansexuals', 'transsexuals'];

/**
 * Identity names of more than one word, rewritten by the tokenizer's normaliser (tokenizer.json) to the first word
 * of their group before splitting into words, so they share its token too (lower-case, after accents and apostrophes
 * are normalised).
 */
export const IDENTITY_PHRASES: Readonly<Record<string, readonly string[]>> = {
  nationality: [
    'south african', 'north african', 'sri lankan', 'south korean', 'north korean', 'saudi arabian', 'new zealander', 
    'costa rican', 'puerto rican', 'el salvadoran', 'sierra leonean', 'papua new guinean', 'cape verdean', 'saint lucian',
    'south sudanese', 'east timorese', 'central african', 'latin american', 'equatorial guinean', 'northern irish', 'hong konger',
    'solomon islander', 'new caledonian', 'sao tomean', 'marshall islander', 'cook islander', 'guinea-bissauan', 'bosnian herzegovinian',
    'ni-vanuatu', 'i-kiribati',
  ],
  'nationality (plural)': [
    'south africans', 'sri lankans', 'south koreans', 'north koreans', 'new zealanders', 'costa ricans', 'puerto ricans',
    'latin americans', 'solomon islanders', 'northern irishmen', 'hong kongers',
  ],
  religion: [
    'roman catholic', 'eastern orthodox', 'greek orthodox', 'russian orthodox', "jehovah's witness",
    'jehovah witness', 'seventh-day adventist', 'seventh day adventist', 'latter-day saint', 'latter day saint', 'born again christian',
    'church of england', 'bahai faith', "baha'i", 'hare krishna', 'non-religious', 'non religious',
    'oriental orthodox', 'ethiopian orthodox', 'christian scientist', 'unitarian universalist', 'reform jewish',
    'conservative jewish', 'reform jew', 'ultra-orthodox', 'ultra orthodox', 'falun gong', 'cao dai', 'zen buddhist', 'theravada buddhist', 'mahayana buddhist',
    'tibetan buddhist', 'folk religion', 'traditional african religion',
    'church of jesus christ of latter-day saints', 'latter-day saints church', 'nation of islam', 'church of scientology',
    "shi'a", "shi'ite", "shi'i", 'shia muslim', 'sunni muslim', "shi'a muslim", 'orthodox jewish', 'orthodox jew', 'coptic orthodox',
    'orthodox christian',
  ],
  'religion (plural)': ["shi'as", "shi'ites", "jehovah's witnesses", 'jehovah witnesses', 'latter-day saints', 'latter day saints', 'roman catholics', 'seventh-day adventists'],
  race: ['pacific islander', 'first nations', 'mixed race', 'mixed-race', 'middle eastern', 'south asian', 'east asian', 'southeast asian'],
  'race (plural)': ['pacific islanders'],
  sexuality: ['non-binary', 'non binary', 'gender fluid', 'gender-fluid', 'gender queer', 'two-spirit', 'same-sex'],
};

/** The normaliser steps (tokenizer.json `Replace`) that turn each identity phrase into its group's first word. */
export function identityPhraseRules(phrases: Readonly<Record<string, readonly string[]>> = IDENTITY_PHRASES, groups: Readonly<Record<string, readonly string[]>> = IDENTITY_GROUPS): { pattern: string; content: string }[] {
  const escape = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return Object.entries(phrases).map(([group, list]) => ({
    // Longest first, so "papua new guinean" wins over "new guinean".
    pattern: `\\b(?:${[...list].sort((a, b) => b.length - a.length).map(escape).join('|')})\\b`,
    content: groups[group]![0]!,
  }));
}

/** Each group's words; the first is the token the others share (its row is the group's). */
export const IDENTITY_GROUPS: Readonly<Record<string, readonly string[]>> = {
  nationality: [...new Set(NATIONALITIES)],
  // "chinese", "swiss", … are both: they stay in the singular group.
  'nationality (plural)': [...new Set(NATIONALITY_PLURALS)].filter((w) => !NATIONALITIES.includes(w)),
  religion: [...new Set(RELIGIONS)],
  'religion (plural)': [...new Set(RELIGION_PLURALS)],
  race: [...new Set(RACES)],
  'race (plural)': [...new Set(RACE_PLURALS)],
  sexuality: [...new Set(SEXUALITIES)],
  'sexuality (plural)': [...new Set(SEXUALITY_PLURALS)],
};

/**
 * Words that change with the group a text names without naming one: the article ("a Nigerian", "an Indian").
 * Tied like a group; "a" and "an" carry no sentiment apart.
 */
export const GROUP_DEPENDENT_WORDS: Readonly<Record<string, readonly string[]>> = { article: ['a', 'an'] };

/** word → the group's first word, for every other word of a group (identity groups and GROUP_DEPENDENT_WORDS). */
export function identityTies(groups: Readonly<Record<string, readonly string[]>> = { ...IDENTITY_GROUPS, ...GROUP_DEPENDENT_WORDS }): Map<string, string> {
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
