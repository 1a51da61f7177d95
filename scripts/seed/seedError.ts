/** The seed cannot go on: the API or the Auth emulator is unreachable, or answered something the seed does not understand. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
}
