/**
 * The seeds' vocabulary (see seed.ts): product topics, general review words and stop words, the sample
 * bodies built from them, and the tags and SKUs the seeded threads carry.
 */

/** Topic words, 7 per topic; a thread's topic is its index modulo the number of topics. */
export const TOPICS: readonly (readonly string[])[] = [
  ['coffee', 'grinder', 'espresso', 'burr', 'beans', 'descale', 'portafilter'],
  ['blender', 'smoothie', 'jar', 'blades', 'ice', 'pulse', 'crushed'],
  ['kettle', 'boil', 'limescale', 'spout', 'temperature', 'tea', 'whistle'],
  ['vacuum', 'suction', 'filter', 'carpet', 'brushroll', 'dustbin', 'cordless'],
  ['battery', 'charger', 'charging', 'drain', 'lithium', 'cable', 'adapter'],
  ['headphones', 'earbuds', 'bass', 'noise', 'cancelling', 'microphone', 'bluetooth'],
  ['camera', 'lens', 'autofocus', 'sensor', 'tripod', 'shutter', 'megapixel'],
  ['laptop', 'keyboard', 'trackpad', 'hinge', 'screen', 'fan', 'ram'],
  ['phone', 'case', 'protector', 'glass', 'cracked', 'notch', 'speaker'],
  ['mattress', 'foam', 'firmness', 'pillow', 'sleep', 'topper', 'springs'],
  ['shoes', 'sole', 'laces', 'insole', 'sizing', 'heel', 'cushioning'],
  ['fridge', 'freezer', 'compressor', 'thermostat', 'shelves', 'humming', 'seal'],
  ['washer', 'dryer', 'spin', 'drum', 'detergent', 'lint', 'cycle'],
  ['oven', 'airfryer', 'preheat', 'crispy', 'basket', 'tray', 'thermometer'],
  ['grill', 'charcoal', 'propane', 'grate', 'smoker', 'brisket', 'burner'],
  ['bike', 'gears', 'chain', 'brakes', 'saddle', 'tires', 'derailleur'],
  ['watch', 'strap', 'tracker', 'heart', 'steps', 'gps', 'altimeter'],
  ['tent', 'zipper', 'waterproof', 'poles', 'rainfly', 'backpack', 'stakes'],
  ['drill', 'bits', 'torque', 'chuck', 'impact', 'screws', 'clutch'],
  ['printer', 'ink', 'toner', 'paper', 'jam', 'wifi', 'cartridge'],
];

/** Words any review may use. */
export const GENERAL_WORDS: readonly string[] = [
  'warranty', 'refund', 'replacement', 'support', 'shipping', 'delivery', 'packaging', 'price', 'quality', 'value',
  'durable', 'sturdy', 'cheap', 'premium', 'broke', 'defective', 'noisy', 'quiet', 'loud', 'easy',
  'difficult', 'setup', 'manual', 'instructions', 'app', 'firmware', 'update', 'recommend', 'return', 'months',
  'weeks', 'daily', 'cleaning', 'design', 'color', 'size', 'weight', 'heavy', 'compact', 'reliable',
  'performance', 'issue', 'problem', 'fixed', 'works', 'great', 'disappointed', 'happy', 'excellent', 'terrible',
  'review', 'customer', 'service', 'model', 'version', 'upgrade', 'accessories', 'store', 'button', 'display',
];

/** Stop words (not indexed by the english configuration): they only make bodies read like text. */
export const FILLER_WORDS: readonly string[] = ['the', 'it', 'and', 'with', 'after', 'my', 'is', 'was', 'but', 'for', 'this', 'very', 'really', 'so', 'on'];

/**
 * A post body like the seeded ones (POSTS_SQL): 12 to 40 words, a fifth from the thread's topic (topic
 * `topic` of TOPICS, wrapped), about half general review words, the rest stop words. `random` is a
 * source of numbers in [0, 1): pass a seeded one for repeatable bodies.
 */
export function sampleBody(topic: number, random: () => number): string {
  const words = TOPICS[topic % TOPICS.length];
  const n = 12 + Math.floor(random() * 29);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    const list = r < 0.2 ? words : r < 0.75 ? GENERAL_WORDS : FILLER_WORDS;
    out.push(list[Math.floor(random() * list.length)]);
  }
  const text = out.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/** A repeatable source of numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED_TAGS: readonly string[] = ['review', 'question', 'tip', 'issue', 'setup', 'comparison', 'unboxing', 'warranty'];
export const SEED_SKU_COUNT = 50;

/** Two words of one topic: a query that matches a realistic share (about 1.5%) of the seeded posts. */
export const SEARCH_QUERY_EXAMPLE = 'coffee grinder';

/** Words in each topic of TOPICS. */
export const WORDS_PER_TOPIC = TOPICS[0].length;
