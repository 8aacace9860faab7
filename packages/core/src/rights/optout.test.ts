import { describe, expect, it } from 'vitest';
import { dataMiningProhibits, trainingMiningProhibits, trainingMiningSignals, xmpDataMiningValues } from './optout.js';

const DMI = 'http://ns.useplus.org/ldf/vocab/';
const NS = 'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"';

describe('opt-out signal meaning', () => {
  it('treats every PROHIBITED data-mining value as forbidding training, ALLOWED and UNSPECIFIED as not', () => {
    for (const v of ['DMI-PROHIBITED', 'DMI-PROHIBITED-AIMLTRAINING', 'DMI-PROHIBITED-GENAIMLTRAINING', 'DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING', 'DMI-PROHIBITED-SEECONSTRAINT', 'DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR']) {
      expect(dataMiningProhibits(`${DMI}${v}`)).toBe(true);
    }
    expect(dataMiningProhibits(`${DMI}DMI-ALLOWED`)).toBe(false);
    expect(dataMiningProhibits(`${DMI}DMI-UNSPECIFIED`)).toBe(false);
  });

  it('counts notAllowed and constrained training entries, never inference', () => {
    expect(trainingMiningProhibits('cawg.ai_generative_training', 'notAllowed')).toBe(true);
    expect(trainingMiningProhibits('c2pa.ai_training', 'constrained')).toBe(true);
    expect(trainingMiningProhibits('cawg.data_mining', 'notAllowed')).toBe(true);
    expect(trainingMiningProhibits('cawg.ai_generative_training', 'allowed')).toBe(false);
    expect(trainingMiningProhibits('cawg.ai_inference', 'notAllowed')).toBe(false);
    expect(trainingMiningSignals('cawg.training-mining', { nope: 1 }, 'm')).toEqual([]);
  });

  it('reads DataMining as an attribute, element text or rdf:resource, under any prefix', () => {
    expect(xmpDataMiningValues(`<d ${NS} plus:DataMining="${DMI}DMI-PROHIBITED"/>`)).toEqual([`${DMI}DMI-PROHIBITED`]);
    expect(xmpDataMiningValues(`<d ${NS}><plus:DataMining>${DMI}DMI-ALLOWED</plus:DataMining></d>`)).toEqual([`${DMI}DMI-ALLOWED`]);
    expect(xmpDataMiningValues(`<d xmlns:p2="http://ns.useplus.org/ldf/xmp/1.0/"><p2:DataMining rdf:resource="${DMI}DMI-PROHIBITED-AIMLTRAINING"/></d>`)).toEqual([`${DMI}DMI-PROHIBITED-AIMLTRAINING`]);
    // A DataMining property of some other namespace is not the IPTC one.
    expect(xmpDataMiningValues(`<d xmlns:plus="http://example.com/"><plus:DataMining>x</plus:DataMining></d>`)).toEqual([]);
  });
});
