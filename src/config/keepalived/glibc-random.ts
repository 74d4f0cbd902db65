// The numbers glibc's random() gives after srandom(seed): keepalived 2.2.7 draws `${_RANDOM}` from it
// (lib/parser.c get_random), seeded with time(NULL) as each read of the configuration begins. This is
// glibc's default generator (TYPE_3: an additive feedback generator over 31 words, r[i] = r[i-31] +
// r[i-3] mod 2^32, the result the sum without its low bit), seeded as srandom_r seeds it: the words
// from Lehmer's 16807 generator, then 310 results discarded. Written from the algorithm's description;
// test/config/random.test.ts compares its output with libc's own for several seeds.

const DEGREE = 31;
const SEPARATION = 3;
const LEHMER_MODULUS = 2147483647;

export class GlibcRandom {
  private readonly state = new Int32Array(DEGREE);
  private front = SEPARATION;
  private rear = 0;

  /** srandom(seed): `seed` is C's unsigned int (taken modulo 2^32); 0 is taken as 1, as glibc does. */
  constructor(seed: number) {
    let word = Number(BigInt.asIntN(32, BigInt(Math.trunc(seed)))) || 1;
    this.state[0] = word;
    for (let i = 1; i < DEGREE; i++) {
      // state[i] = 16807 * state[i-1] % (2^31 - 1), computed (as glibc) without overflowing 31 bits.
      const hi = Math.trunc(word / 127773);
      const lo = word % 127773;
      word = 16807 * lo - 2836 * hi;
      if (word < 0) word += LEHMER_MODULUS;
      this.state[i] = word;
    }
    for (let i = 0; i < DEGREE * 10; i++) this.next();
  }

  /** random(): a number from 0 to 2^31 - 1. */
  next(): number {
    const sum = (this.state[this.front]! + this.state[this.rear]!) | 0;
    this.state[this.front] = sum;
    this.front = (this.front + 1) % DEGREE;
    this.rear = (this.rear + 1) % DEGREE;
    return (sum >>> 1) & 0x7fffffff;
  }
}
