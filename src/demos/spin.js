'use strict';
// jmdb demo spin: a genetic algorithm for the n-queens puzzle that never
// stops (each solved board starts a new, bigger one). It is compute-bound,
// and nearly all of its time goes to scoring boards: `evaluate` counts the
// pairs of queens that attack each other, asking `mutualThreat` about each
// of the n*(n-1)/2 pairs.
const N0 = 48;
const POPULATION = 60;

// A board: board[col] = the queen's row in that column.
function randomBoard(n) {
  const b = new Array(n);
  for (let i = 0; i < n; i++) b[i] = (Math.random() * n) | 0;
  return b;
}

// Do the queens in columns a and b attack each other?
function mutualThreat(board, a, b) {
  const ra = board[a], rb = board[b];
  if (ra === rb) return true;
  return Math.abs(ra - rb) === Math.abs(a - b);
}

// How many pairs of queens attack each other (0: solved).
function evaluate(board) {
  let threats = 0;
  for (let a = 0; a < board.length; a++) {
    for (let b = a + 1; b < board.length; b++) {
      if (mutualThreat(board, a, b)) threats++;
    }
  }
  return threats;
}

function crossover(x, y) {
  const cut = (Math.random() * x.length) | 0;
  return x.slice(0, cut).concat(y.slice(cut));
}

function mutate(board) {
  const col = (Math.random() * board.length) | 0;
  board[col] = (Math.random() * board.length) | 0;
  return board;
}

function pick(scored) {
  // Tournament of two: the fitter of two random boards.
  const x = scored[(Math.random() * scored.length) | 0];
  const y = scored[(Math.random() * scored.length) | 0];
  return x.score <= y.score ? x.board : y.board;
}

function solve(n) {
  let scored = [];
  for (let i = 0; i < POPULATION; i++) {
    const board = randomBoard(n);
    scored.push({ board, score: evaluate(board) });
  }
  for (let gen = 1; ; gen++) {
    const next = [];
    for (let i = 0; i < POPULATION; i++) {
      const board = mutate(crossover(pick(scored), pick(scored)));
      next.push({ board, score: evaluate(board) });
    }
    scored = next.concat(scored).sort((p, q) => p.score - q.score).slice(0, POPULATION);
    if (scored[0].score === 0) return gen;
  }
}

console.log(`solving n-queens (pid ${process.pid})`);
for (let n = N0; ; n++) {
  const gens = solve(n);
  console.log(`solved ${n} queens in ${gens} generations`);
}
