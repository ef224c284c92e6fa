/**
 * The 256 words of join codes (8 bits each). Chosen to be common, concrete,
 * easy to spell after hearing them, and all distinct. Sorted; the order is
 * part of nothing (codes carry the words, not their indices), but keeping it
 * sorted makes duplicates easy to spot in review.
 */
export const JOIN_CODE_WORDS: readonly string[] = [
  'acorn', 'actor', 'amber', 'anchor', 'angle', 'apple', 'apron', 'arrow', 'atlas', 'autumn',
  'badge', 'bagel', 'baker', 'bamboo', 'banjo', 'barn', 'basil', 'basket', 'beacon', 'bean',
  'beetle', 'bell', 'berry', 'bison', 'blanket', 'blossom', 'boat', 'bottle', 'breeze', 'brick',
  'bridge', 'broom', 'bubble', 'bucket', 'buffalo', 'butter', 'cabin', 'cactus', 'camel', 'candle',
  'canoe', 'canyon', 'carpet', 'carrot', 'castle', 'cedar', 'cello', 'chalk', 'cherry', 'chess',
  'cider', 'circle', 'cloud', 'clover', 'cobra', 'coffee', 'comet', 'copper', 'coral', 'cotton',
  'cradle', 'crane', 'crayon', 'cricket', 'crystal', 'cupcake', 'daisy', 'desert', 'diamond', 'dolphin',
  'donkey', 'dragon', 'drum', 'eagle', 'easel', 'echo', 'elbow', 'ember', 'engine', 'falcon',
  'feather', 'fern', 'fiddle', 'flute', 'forest', 'fossil', 'fox', 'galaxy', 'garden', 'garlic',
  'gecko', 'ginger', 'glacier', 'globe', 'goose', 'granite', 'grape', 'gravel', 'guitar', 'hammer',
  'harbor', 'harp', 'hazel', 'helmet', 'heron', 'hippo', 'honey', 'hornet', 'igloo', 'iris',
  'island', 'ivory', 'jacket', 'jaguar', 'jasmine', 'jelly', 'jigsaw', 'jungle', 'kayak', 'kettle',
  'kitten', 'kiwi', 'koala', 'ladder', 'lagoon', 'lamp', 'lantern', 'lemon', 'lemur', 'lentil',
  'lily', 'lizard', 'lobster', 'locket', 'lotus', 'magnet', 'mango', 'maple', 'marble', 'marsh',
  'meadow', 'melon', 'mirror', 'mitten', 'monkey', 'moose', 'mosaic', 'muffin', 'mustard', 'napkin',
  'nectar', 'needle', 'nest', 'nickel', 'noodle', 'nutmeg', 'oasis', 'ocean', 'olive', 'onion',
  'opal', 'orange', 'orbit', 'orchid', 'otter', 'owl', 'oyster', 'paddle', 'panda', 'parrot',
  'peach', 'peanut', 'pebble', 'pencil', 'penguin', 'pepper', 'piano', 'pickle', 'pigeon', 'pillow',
  'pine', 'planet', 'plum', 'pocket', 'pony', 'poppy', 'potato', 'prism', 'pumpkin', 'purple',
  'puzzle', 'quartz', 'quill', 'quilt', 'rabbit', 'radio', 'raisin', 'raven', 'ribbon', 'river',
  'robin', 'rocket', 'saddle', 'salmon', 'sandal', 'saturn', 'scarf', 'seal', 'shadow', 'shell',
  'silver', 'sketch', 'sled', 'slipper', 'snail', 'spider', 'spoon', 'squid', 'stamp', 'star',
  'stone', 'sugar', 'summit', 'sunset', 'swan', 'tablet', 'tango', 'teapot', 'thistle', 'thunder',
  'tiger', 'tomato', 'topaz', 'tractor', 'trumpet', 'tulip', 'tunnel', 'turtle', 'umbrella', 'valley',
  'velvet', 'violin', 'wagon', 'walnut', 'walrus', 'whale', 'whistle', 'willow', 'window', 'winter',
  'wizard', 'wolf', 'yacht', 'yogurt', 'zebra', 'zipper',
];
