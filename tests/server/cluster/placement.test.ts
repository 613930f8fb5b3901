import { ownerOf } from '../../../server/cluster/placement.js';

const instances = Array.from({ length: 300 }, (_, i) => `instance-${i}`);
const place = (nodes: string[]) => new Map(instances.map(id => [id, ownerOf(id, nodes)]));

describe('rendezvous placement', () => {
  it('gives every node the same answer whatever the order of its node list', () => {
    expect(place(['a', 'b', 'c'])).toEqual(place(['c', 'a', 'b']));
  });

  it('spreads instances over every node', () => {
    const counts = new Map<string, number>();
    for (const owner of place(['a', 'b', 'c']).values()) counts.set(owner!, (counts.get(owner!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const n of counts.values()) expect(n).toBeGreaterThan(50);
  });

  it('moves only the instances of a node that leaves, and only to a node that joins', () => {
    const three = place(['a', 'b', 'c']);
    const two = place(['a', 'c']);
    for (const id of instances) if (three.get(id) !== 'b') expect(two.get(id)).toBe(three.get(id));
    const four = place(['a', 'b', 'c', 'd']);
    for (const id of instances) if (four.get(id) !== three.get(id)) expect(four.get(id)).toBe('d');
  });

  it('has no owner without nodes', () => {
    expect(ownerOf('x', [])).toBeUndefined();
  });
});
