/**
 * The default face photo (顔写真) of test cards: a 48×60 grey-scale JPEG 2000
 * file (JP2, 590 bytes) of a drawn silhouette — no real person. Made once for
 * this project with Debian's `opj_compress -r 5` (openjpeg 2.5) from a PGM
 * drawn by a few lines of Python (head oval, hair, eyes, mouth, shoulders);
 * it decodes with `opj_decompress`. Shipped as bytes so no codec runs at runtime.
 */
export const DEFAULT_FACE_JP2: Uint8Array = Uint8Array.from(
  Buffer.from(
    [
      'AAAADGpQICANCocKAAAAFGZ0eXBqcDIgAAAAAGpwMiAAAAAtanAyaAAAABZpaGRyAAAAPAAAADAAAQcHAAAAAAAPY29scgEAAAAA',
      'ABEAAAIBanAyY/9P/1EAKQAAAAAAMAAAADwAAAAAAAAAAAAAADAAAAA8AAAAAAAAAAAAAQcBAf9SAAwAAAABAAUEBAAB/1wAE0BA',
      'SEhQSEhQSEhQSEhQSEhQ/2QAJQABQ3JlYXRlZCBieSBPcGVuSlBFRyB2ZXJzaW9uIDIuNS4w/5AACgAAAAABgAAB/5PPsBQCXvD/',
      'f8PmBz6QsPsAwAgqHw4Ig6qKCDovz6wufSMj6BQbyilPxigdWMjG0wD1hKYsnsW0ssYfagDZnwyl2AYZo6rHxmJ8pePjJBY2LPDY',
      '3kCil5ufUD9+bPyp7jm1UDWx2zqWeRM8SEHI9k8J6HGCWcntjBrAeaOdguHvtUQTqxTsTjbdfCKvj/itx8L8fBUx8LYjMW7CyYx+',
      '23AYddmR2WgjeY+oTcE2dphyObv0NDARJfFCbuHOAnMdHIflZr6iQiO8TrwxJ7cm1DYJrvAlY3B5U/7LPIegGcChdBE/czGmS+eh',
      'hRuDPxZ5FnK7P0vhw9JVv/bHaGO10eowQ43X1Pj5kJp/6ZVJKfy2ss11unD3VdKJuSf90BkhdfbbPapd4jw2Oz7brisf2wC50hCk',
      'Bj4Q9wfkhWuzungX1dDeyVF4oLscp3WgkgMmUotGAn45dXt7cx2uW/DzF3iCN3TDhdbLOzoh4uHIJo4qCDBY/9k=',
    ].join(''),
    'base64',
  ),
);
