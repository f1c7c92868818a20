# ruff: noqa: E501  (the tables are data: one row per line reads best)
"""Write the systematic part of the knowledge base (generated_*.jsonl) from the tables below.

The tables are per instrument x frequency region, per instrument x problem, per track type for
compression, reverb and high-pass corners, and per delivery platform. Every row is one entry; the
sentence templates only join the row's facts. Hand-written entries live in the other *.jsonl files.
Run from the repository root after editing a table:  python data/knowledge/generate.py
(it reads the band table and the high-pass corners from core, so they are written once). The output is sorted and stable, so diffs show edits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from core.bands import BANDS as CORE_BANDS
from core.suggestions.rules import THRESHOLDS, TYPE_PROFILES

HERE = Path(__file__).resolve().parent
BANDS = tuple((b.name, b.low_hz, b.high_hz) for b in CORE_BANDS)  # the one band table
BOOKS = ["owsinski2017", "senior2011"]

NAMES = {
    "vocals": "lead vocal", "backing_vocals": "backing vocals", "kick": "kick drum", "snare": "snare",
    "drums": "drum overheads and drum bus", "bass": "bass", "guitar": "guitar", "keys": "piano and keys",
    "synth": "synth", "pad": "pad", "strings": "strings", "brass": "brass", "fx": "effects track",
    "mix_bus": "mix bus", "master": "master",
}  # fmt: skip

#: Measurement fields a problem relates to (analysis paths, quality codes, session issues).
PROBLEM_FIELDS = {
    "mud": ["quality.mud", "spectrum.bands.low_mid", "session.masking", "session.mix.tonal_balance"],
    "boom": ["spectrum.bands.bass", "spectrum.bands.sub", "session.masking", "session.mix.tonal_balance"],
    "boxy": ["spectrum.bands.low_mid", "spectrum.bands.mid", "quality.mud"],
    "nasal": ["spectrum.bands.mid"],
    "harsh": ["quality.harshness", "spectrum.bands.upper_mid", "spectrum.bands.presence"],
    "sibilance": ["spectrum.bands.presence", "spectrum.bands.brilliance", "suggestions.de_ess"],
    "dull": ["quality.missing_air", "spectrum.bands.brilliance", "spectrum.bands.presence"],
    "thin": ["spectrum.bands.bass", "spectrum.bands.low_mid", "session.mix.tonal_balance"],
    "rumble": ["quality.rumble", "spectrum.bands.sub", "suggestions.high_pass"],
    "masking": ["session.masking", "session.balance"],
    "ring": ["spectrum.third_octave"],
    "fizz": ["spectrum.bands.brilliance", "quality.harshness"],
    "weak_attack": ["spectrum.bands.upper_mid", "dynamics.crest_factor_db"],
    "noise": ["quality.high_noise_floor", "dynamics.noise_floor_dbfs", "suggestions.low_pass"],
}


def bands_between(lo: float, hi: float) -> list[str]:
    return [n for n, b_lo, b_hi in BANDS if lo < b_hi and hi > b_lo]


def fmt_hz(f: float) -> str:
    return f"{f / 1000:g} kHz" if f >= 1000 else f"{f:g} Hz"


# --- instrument x frequency region -----------------------------------------------------------------
# (type, key, lo_hz, hi_hz, region, what it is, what to do, tags, problems)
REGIONS = [
    ("vocals", "lowcut", 20, 100, "below the voice", "Below about 80 Hz (male) or 100-120 Hz (female) a vocal holds only rumble, handling noise and plosive pops, no voice.", "High-pass at 80-100 Hz, 12-18 dB/oct; raise the corner until the voice thins, then back off.", ["high-pass", "low cut", "plosives", "pops", "rumble"], ["rumble"]),
    ("vocals", "body", 100, 250, "body and chest", "The fundamentals: a male voice sits around 85-180 Hz, a female one around 165-255 Hz; this range gives warmth and weight.", "A 1-2 dB bell boost around 150-200 Hz warms a thin voice; cut instead if the voice sounds boomy from proximity effect.", ["warmth", "proximity effect", "fundamental", "chest"], ["thin", "boom"]),
    ("vocals", "mud", 250, 500, "mud and boxiness", "Room boxiness and proximity build-up collect at 250-500 Hz and make a vocal cloudy and muffled.", "Cut 2-4 dB around 300-400 Hz with Q 1-2; sweep a narrow boost first to find the worst spot.", ["boxy", "muddy", "cloudy", "muffled", "low mids"], ["mud", "boxy"]),
    ("vocals", "nasal", 800, 1500, "nasal and honky", "A honky or nasal vocal, or one through a phone, has too much around 800 Hz-1.5 kHz.", "Cut 2-3 dB with a narrow-ish Q (2-3) around 1 kHz where it honks.", ["nasal", "honky", "telephone"], ["nasal"]),
    ("vocals", "presence", 2000, 5000, "presence and intelligibility", "Consonants and intelligibility live at 2-5 kHz; the ear is most sensitive near 3 kHz (ISO 226 equal-loudness contours).", "Boost 1-3 dB around 3 kHz with a wide Q to bring a vocal forward; cut there instead if it is harsh or piercing.", ["presence", "clarity", "intelligibility", "forward", "upfront", "buried"], ["harsh", "dull"]),
    ("vocals", "sibilance", 4500, 10000, "sibilance", "'S' and 'T' sounds peak at about 4-7 kHz for male and 6-9 kHz for female voices.", "Use a de-esser on the sibilant frequency (3-6 dB of reduction on the esses only) rather than a static EQ cut, which dulls every word.", ["sibilance", "esses", "de-esser", "sss"], ["sibilance"]),
    ("vocals", "air", 10000, 16000, "air", "Above 10 kHz is breath and 'air': it makes a vocal sound open and expensive.", "A high shelf of +1-3 dB at 10-12 kHz adds air; de-ess first, because the shelf also lifts the esses.", ["air", "breathy", "open", "sparkle", "high shelf"], ["dull"]),
    ("backing_vocals", "lowcut", 20, 200, "below the harmonies", "Stacked backing vocals add up their low end and cloud the lead and the bass.", "High-pass backing vocals higher than the lead, at 120-200 Hz; stacks can go higher still.", ["high-pass", "stacks", "harmonies", "low cut"], ["mud", "rumble"]),
    ("backing_vocals", "presence", 2000, 5000, "presence", "Backing vocals with as much presence as the lead compete with it for attention.", "Cut 1-3 dB around 2-5 kHz (or boost the lead there) so the harmonies sit behind the lead.", ["presence", "behind the lead", "harmonies"], ["masking", "harsh"]),
    ("backing_vocals", "sibilance", 4500, 10000, "sibilance", "Esses that do not line up across a stack sound like a hiss spread in time.", "De-ess backing vocals harder than the lead, or edit the esses of all but one take down.", ["sibilance", "esses", "stacks"], ["sibilance"]),
    ("kick", "sub", 30, 60, "sub weight", "40-60 Hz is the weight felt on a big system; little of it reaches small speakers.", "Boost 2-4 dB around 50-60 Hz for weight if the bass leaves room; high-pass below 25-30 Hz.", ["sub", "weight", "low end", "808"], ["thin", "boom"]),
    ("kick", "punch", 60, 120, "punch and thump", "The thump of a kick sits at 60-100 Hz.", "A bell boost of 2-4 dB near 80 Hz adds punch; decide with the bass which of the two owns 60-100 Hz.", ["punch", "thump", "low end"], ["thin", "masking"]),
    ("kick", "box", 200, 500, "boxiness", "A cardboard, boxy kick has too much at 200-500 Hz.", "Cut 3-6 dB around 300-400 Hz with Q 1-2 (the classic scooped kick); this also makes room for the bass's harmonics and the vocal.", ["boxy", "cardboard", "scoop", "papery"], ["boxy", "mud"]),
    ("kick", "click", 2000, 5000, "beater click", "The beater's click at 2-5 kHz is what lets a kick cut through on small speakers.", "Boost 2-4 dB around 3-4 kHz for attack; use less if the track already has a bright snare.", ["click", "beater", "attack", "small speakers", "cut through"], ["weak_attack"]),
    ("snare", "body", 120, 250, "body and fatness", "The shell's fundamental, usually around 150-250 Hz, gives a snare its weight.", "Boost 2-3 dB around 200 Hz for a fatter snare; high-pass below about 80-100 Hz to remove kick spill.", ["body", "fat", "weight", "fundamental"], ["thin"]),
    ("snare", "box", 400, 800, "boxiness and ring", "A boxy or ringing snare has too much at 400-800 Hz, often one narrow resonance.", "Sweep a narrow boost to find the ring, then cut it 3-6 dB with Q 4-8.", ["boxy", "ring", "ringing", "resonance"], ["boxy", "ring"]),
    ("snare", "crack", 2000, 5000, "crack and attack", "The stick's crack sits at 2-5 kHz.", "Boost 2-4 dB around 3-5 kHz for crack; cut there if the snare is harsh against the vocal.", ["crack", "attack", "snap"], ["weak_attack", "harsh"]),
    ("snare", "wires", 5000, 10000, "snare wires and sizzle", "The wires' buzz and sizzle are at 5-10 kHz.", "A shelf or bell boost of 1-3 dB at 6-8 kHz brings out the wires; watch hi-hat spill.", ["wires", "sizzle", "brightness"], ["dull"]),
    ("drums", "lowcut", 20, 150, "overheads' low end", "Overheads carry the kit's image and cymbals; their low end is mostly kick and snare spill that smears the close mics.", "High-pass overheads at 100-200 Hz when close mics carry the kick and snare; lower or not at all in a minimal setup.", ["overheads", "high-pass", "spill", "cymbals"], ["mud", "boom"]),
    ("drums", "box", 300, 600, "boxiness", "Room mics and the drum bus get boxy at 300-600 Hz.", "Cut 2-3 dB around 400-500 Hz on the drum bus or rooms.", ["boxy", "room mics", "drum bus"], ["boxy", "mud"]),
    ("drums", "harsh", 2000, 5000, "cymbal harshness", "Cymbals and hi-hats turn harsh at 2-5 kHz, more so after bus compression.", "Cut 2-3 dB around 3-4 kHz on the overheads, or de-ess the cymbals with a dynamic EQ.", ["cymbals", "hi-hat", "harsh", "overheads"], ["harsh"]),
    ("drums", "air", 8000, 16000, "air and shimmer", "Cymbal shimmer and air sit above 8 kHz.", "A gentle high shelf (+1-2 dB at 10-12 kHz) on the overheads opens the kit.", ["air", "shimmer", "cymbals"], ["dull"]),
    ("bass", "sub", 30, 60, "sub", "The lowest fundamentals: the open E of a 4-string bass is 41 Hz; little of this is heard on small speakers.", "High-pass at 25-35 Hz to remove subsonic energy that eats headroom; boost around 50 Hz only if the kick leaves room.", ["sub", "low end", "fundamental", "headroom"], ["boom", "thin"]),
    ("bass", "weight", 60, 120, "weight", "60-120 Hz is the bass's body; it shares it with the kick.", "Boost or cut 2-3 dB around 80-100 Hz; pick a different centre from the kick's punch so the two interlock.", ["weight", "body", "low end", "kick and bass"], ["thin", "masking", "boom"]),
    ("bass", "mud", 150, 300, "mud", "A bass gets woolly and muddy at about 200-300 Hz, where guitars and keys also live.", "Cut 2-4 dB around 200-250 Hz with Q 1-1.5.", ["muddy", "woolly", "low mids"], ["mud"]),
    ("bass", "growl", 600, 1200, "growl and definition", "Harmonics around 700 Hz-1.2 kHz let a bass line be heard on laptops and phones.", "Boost 2-3 dB around 800 Hz-1 kHz, or add saturation to create harmonics there.", ["growl", "definition", "small speakers", "phone", "laptop", "harmonics"], ["thin"]),
    ("bass", "attack", 2000, 5000, "finger and pick attack", "String noise and the pick's attack live at 2-5 kHz.", "Boost 1-3 dB around 2.5 kHz for a more articulate line; low-pass above 5-8 kHz to remove DI hiss and string noise if not needed.", ["attack", "pick", "string noise", "articulation"], ["weak_attack", "noise"]),
    ("guitar", "lowcut", 20, 120, "below the guitar", "The low E string is 82 Hz; a guitar's energy below about 80-120 Hz in a band mix is mostly boom that clouds the bass and kick.", "High-pass electric and acoustic guitars at 80-120 Hz in a full mix (higher for strummed acoustics).", ["high-pass", "low cut", "boom", "low E"], ["boom", "rumble"]),
    ("guitar", "body", 100, 250, "body", "Body and warmth of a guitar at 100-250 Hz; acoustics boom here near the soundhole.", "Cut 2-4 dB around 150-200 Hz on a boomy acoustic; boost gently on a thin electric.", ["body", "warmth", "acoustic", "soundhole"], ["boom", "thin"]),
    ("guitar", "mud", 200, 400, "mud", "Rhythm guitars pile up mud at 200-400 Hz, the zone they share with bass, keys and the vocal's body.", "Cut 2-3 dB around 250-350 Hz; on double-tracked guitars cut both.", ["muddy", "low mids", "rhythm guitar", "double-tracked"], ["mud"]),
    ("guitar", "honk", 500, 1500, "honk and midrange", "The guitar's core midrange at 500 Hz-1.5 kHz: too much sounds honky, too little scooped and small.", "Cut 1-3 dB around 800 Hz-1 kHz if honky; avoid scooping mids in a band mix (it is where the guitar lives).", ["honky", "midrange", "scooped mids"], ["nasal"]),
    ("guitar", "bite", 2000, 5000, "bite and presence", "Pick attack and bite at 2-5 kHz; distorted guitars get harsh here.", "Boost 1-3 dB at 2.5-4 kHz for bite; cut there if the guitar fights the vocal or is harsh.", ["bite", "presence", "pick", "distortion"], ["harsh", "masking"]),
    ("guitar", "fizz", 6000, 12000, "fizz", "Distorted guitars carry fizz above 6-8 kHz that sounds brittle rather than bright.", "Low-pass distorted guitars at 8-10 kHz (12 dB/oct) or shelf down 2-4 dB.", ["fizz", "brittle", "distortion", "low-pass"], ["fizz", "harsh"]),
    ("keys", "low", 40, 150, "low end", "A piano's left hand and a keyboard's low notes overlap the bass guitar.", "In a band mix high-pass piano and keys at 60-100 Hz, or shelf down the lows, and let the bass own the bottom.", ["piano", "left hand", "high-pass", "low end"], ["boom", "masking"]),
    ("keys", "mud", 200, 400, "mud", "Piano and organ build up at 200-400 Hz and muddy the mix.", "Cut 2-3 dB around 250-300 Hz with a wide Q.", ["piano", "organ", "muddy", "low mids"], ["mud"]),
    ("keys", "honk", 800, 1500, "honk", "Uprights and close-miked pianos can sound honky around 1 kHz.", "Cut 1-3 dB near 1 kHz with Q 2.", ["piano", "honky", "upright"], ["nasal"]),
    ("keys", "presence", 2000, 5000, "attack and presence", "Hammer attack and presence at 2-5 kHz.", "Boost 1-2 dB around 3-4 kHz for definition; cut if the piano competes with the vocal.", ["attack", "presence", "hammer", "definition"], ["weak_attack", "masking"]),
    ("keys", "air", 8000, 16000, "air", "Above 8 kHz: sparkle of the upper strings and the room.", "A high shelf of +1-2 dB at 10 kHz brightens a dull piano.", ["air", "sparkle", "bright"], ["dull"]),
    ("synth", "lowcut", 20, 150, "below a lead or chord synth", "Lead and chord synths often carry low-frequency energy (oscillator sub, detune beating) that competes with the bass.", "High-pass non-bass synths at 100-200 Hz; keep the sub oscillator only on the bass synth.", ["high-pass", "lead synth", "chords", "sub oscillator"], ["mud", "boom", "masking"]),
    ("synth", "body", 200, 500, "body", "Body of a synth at 200-500 Hz; stacked saw chords become muddy here.", "Cut 2-3 dB around 300 Hz on dense chord stacks.", ["saw", "supersaw", "chords", "low mids"], ["mud"]),
    ("synth", "presence", 2000, 6000, "presence and bite", "Saw and square waves have strong harmonics at 2-6 kHz; they cut through but turn harsh.", "Cut 1-3 dB around 3-5 kHz if harsh, or low-pass the synth to tame the top.", ["saw", "bite", "harsh", "lead"], ["harsh", "fizz"]),
    ("pad", "lowcut", 20, 250, "below a pad", "A pad's low end mostly adds mud under the bass and the guitars.", "High-pass pads at 150-250 Hz; they still sound full in the mix.", ["high-pass", "low cut", "pads"], ["mud", "boom"]),
    ("pad", "mud", 250, 500, "low mids", "Pads fill 250-500 Hz with sustained energy that masks the rhythmic parts.", "Cut 2-4 dB around 300-400 Hz, or carve a dip where the vocal's body sits.", ["low mids", "muddy", "sustained"], ["mud", "masking"]),
    ("pad", "presence", 2000, 5000, "vocal zone", "A pad's 2-5 kHz content sits exactly on the vocal's intelligibility range.", "Dip 2-3 dB at 2-4 kHz with a wide Q so the vocal reads through (or sidechain the dip to the vocal with a dynamic EQ).", ["vocal zone", "space for the vocal", "dynamic eq"], ["masking"]),
    ("pad", "air", 8000, 16000, "air", "Air of a pad above 8 kHz gives width and sheen without adding mud.", "A gentle high shelf +1-2 dB at 10 kHz, or low-pass at 8-10 kHz for a darker background pad.", ["air", "sheen", "shelf"], ["dull"]),
    ("strings", "body", 100, 250, "body", "Cellos and basses give strings their weight at 100-250 Hz.", "High-pass violin/viola parts at 150-200 Hz, cellos lower; keep the section's body on the lowest instrument.", ["cello", "body", "orchestral"], ["thin", "boom"]),
    ("strings", "mud", 250, 500, "mud", "Section strings and close mics pile up at 250-500 Hz.", "Cut 2-3 dB around 300-400 Hz with a wide Q.", ["muddy", "section", "low mids"], ["mud"]),
    ("strings", "scrape", 2000, 5000, "bow scrape and rosin", "Close-miked strings and string samples can scrape at 2-5 kHz.", "Cut 2-3 dB around 3 kHz, or use a room/hall reverb to soften the attack.", ["bow", "rosin", "scrape", "harsh", "violin"], ["harsh"]),
    ("strings", "air", 8000, 16000, "air", "Air and room sheen of strings above 8 kHz.", "A high shelf of +1-2 dB at 10 kHz for sheen; cut instead if samples sound brittle.", ["air", "sheen", "violin"], ["dull"]),
    ("brass", "lowcut", 20, 120, "below the horns", "Trumpets and saxes hold little musical energy below 100-150 Hz (trombones lower).", "High-pass trumpets and saxes at 100-150 Hz, trombones at 60-80 Hz.", ["high-pass", "horns", "trumpet", "sax", "trombone"], ["rumble", "boom"]),
    ("brass", "honk", 500, 1500, "honk", "Horns honk at 500 Hz-1.5 kHz.", "Cut 2-3 dB around 800 Hz-1 kHz.", ["honky", "horns", "sax"], ["nasal"]),
    ("brass", "bite", 2000, 5000, "bite", "Brass brilliance and bite at 2-5 kHz; loud horns become piercing here.", "Boost 1-2 dB at 3 kHz for bite, cut 2-4 dB if piercing.", ["bite", "piercing", "trumpet", "horns"], ["harsh"]),
    ("fx", "band", 20, 20000, "band-limiting", "Risers, sweeps, impacts and ear candy only need the range they are heard in.", "High-pass and low-pass FX so they do not add low-end rumble or top-end fizz to the mix; automate the filters for movement.", ["risers", "sweeps", "impacts", "ear candy", "filter"], ["rumble", "fizz"]),
    ("mix_bus", "lowcut", 10, 30, "subsonic", "Below 20-30 Hz a mix holds only subsonic energy that eats headroom and makes limiters pump.", "High-pass the mix at 20-30 Hz with a gentle slope when the low end is not part of the music.", ["subsonic", "headroom", "high-pass"], ["rumble"]),
    ("mix_bus", "low_mid", 200, 500, "low-mid build-up", "Most mixes that sound muddy have 1-3 dB too much across 200-500 Hz summed from many tracks.", "Fix it on the tracks that cause it first; on the bus a broad cut of 1-2 dB (Q 0.7) around 300 Hz is the last resort.", ["mix bus", "muddy mix", "broad cut"], ["mud"]),
    ("mix_bus", "air", 10000, 20000, "air", "Mixes that sound dull next to references lack 10-20 kHz.", "A broad high shelf of +1-2 dB at 10-12 kHz on the bus; check de-essing first.", ["air", "shelf", "dull mix"], ["dull"]),
    ("master", "low_end", 20, 120, "low end in mastering", "In mastering, sub and bass decide how loud a master can get: the low end carries most of the peak energy.", "Keep the low end centred (mono below about 100-150 Hz) and controlled before limiting; 1 dB broad moves only.", ["mastering", "low end", "mono bass"], ["boom"]),
    ("master", "air", 8000, 20000, "top end in mastering", "A master's brightness against references: small shelf moves change the whole record.", "Shelf moves of 0.5-1.5 dB at 8-12 kHz; compare with level-matched references.", ["mastering", "air", "shelf", "reference"], ["dull", "harsh"]),
]  # fmt: skip

# --- instrument x problem (what the problem sounds like, the fix with numbers) ----------------------
# (type, problem, lo, hi, symptom words, fix)
PROBLEMS = [
    ("vocals", "mud", 200, 500, "a vocal that sounds muddy, boxy or muffled", "Cut 2-4 dB at 250-400 Hz (Q 1-2), high-pass at 80-100 Hz, and check that guitars or keys are not masking the vocal's low mids."),
    ("vocals", "harsh", 2000, 5000, "a harsh, piercing or shouty vocal", "Cut 2-3 dB where it hurts (often 2.5-4 kHz, find it with a narrow sweep), or use a dynamic EQ that only acts on the loud notes."),
    ("vocals", "dull", 4000, 16000, "a dull vocal that lacks clarity", "Boost 2-4 dB around 5 kHz (Q 0.7) or shelf +2 dB at 10 kHz; remove low-mid mud first, which often restores clarity by itself."),
    ("vocals", "masking", 1000, 5000, "a vocal buried in the mix", "Carve 2-3 dB at 2-4 kHz in the competing guitars, keys or pads, raise the vocal 1-2 dB, and compress it so quiet words stay audible."),
    ("vocals", "sibilance", 4500, 10000, "harsh esses", "De-ess at the sibilant frequency with 3-6 dB of reduction; reduce the de-esser if the singer starts to lisp."),
    ("kick", "mud", 200, 500, "a kick that sounds like a cardboard box", "Cut 3-6 dB around 300-400 Hz with Q 1.5."),
    ("kick", "masking", 40, 120, "kick and bass fighting", "Give each its own frequency: e.g. the kick's punch at 60 Hz and the bass's weight at 100 Hz with complementary cuts, and/or sidechain-compress the bass from the kick (2-4 dB of ducking, fast attack, release to the groove)."),
    ("kick", "weak_attack", 2000, 5000, "a kick that disappears on small speakers", "Boost the beater click at 3-4 kHz by 2-4 dB, use a compressor with 20-30 ms attack to exaggerate the transient, or layer a click sample."),
    ("snare", "ring", 200, 900, "a ringing snare", "Find the ring with a narrow boost sweep and cut it 3-6 dB with Q 4-8, or use a gate/transient shaper to shorten the tail."),
    ("snare", "thin", 120, 250, "a thin snare", "Boost 2-3 dB at 180-220 Hz, add a plate reverb, or layer a sample with more body."),
    ("snare", "harsh", 2000, 5000, "a harsh snare", "Cut 2-3 dB around 3-4 kHz; a slower compressor attack on the drum bus can also soften the crack."),
    ("bass", "mud", 150, 350, "a muddy, undefined bass", "Cut 2-4 dB at 200-250 Hz, add 2-3 dB at 800 Hz-1 kHz or saturation for definition, and compress for even notes."),
    ("bass", "thin", 40, 120, "a bass that is thin or disappears on small speakers", "On big speakers: boost 2-3 dB at 60-100 Hz. On small speakers: add harmonics with saturation or boost 700 Hz-1 kHz; the ear fills in the missing fundamental."),
    ("bass", "boom", 40, 120, "a boomy, overpowering bass", "Cut 2-3 dB around 80-120 Hz, compress (4:1, 3-6 dB) for even notes, and check the low end on headphones and a second speaker; small rooms exaggerate 40-120 Hz modes."),
    ("guitar", "mud", 200, 400, "muddy rhythm guitars", "High-pass at 80-120 Hz and cut 2-3 dB at 250-350 Hz on each guitar track."),
    ("guitar", "harsh", 2000, 6000, "harsh, fizzy distorted guitars", "Cut 2-3 dB around 3-4 kHz, low-pass at 8-10 kHz, or reduce amp gain: less distortion often sounds bigger."),
    ("guitar", "masking", 1000, 5000, "guitars covering the vocal", "Cut 2-3 dB at 2-4 kHz on the guitars only while the vocal sings (dynamic EQ or automation), or pan the guitars wider."),
    ("keys", "mud", 200, 400, "muddy piano or keys", "High-pass at 60-100 Hz in a band mix and cut 2-3 dB around 250-300 Hz."),
    ("synth", "harsh", 2000, 6000, "harsh saw synths", "Low-pass the synth (often 6-10 kHz) or cut 2-3 dB around 3-5 kHz; a little chorus or reverb softens the edge."),
    ("pad", "masking", 200, 5000, "pads swamping the mix", "High-pass at 150-250 Hz, dip 2-3 dB at 2-4 kHz for the vocal, and turn the pad down; sidechain ducking from the kick adds space in dance music."),
    ("strings", "harsh", 2000, 5000, "scratchy strings", "Cut 2-3 dB around 3 kHz, low-pass at 10-12 kHz on samples, and add hall reverb to soften the attack."),
    ("brass", "harsh", 2000, 5000, "piercing brass", "Cut 2-4 dB at 2-4 kHz on the loud passages (dynamic EQ) and compress 3:1 to even the level."),
    ("drums", "harsh", 2000, 5000, "harsh cymbals", "Cut 2-3 dB at 3-4 kHz on overheads, or low-pass at 14-16 kHz; heavy bus compression brings cymbals up, so ease it off."),
    ("drums", "boom", 60, 200, "boomy overheads or rooms", "High-pass overheads at 100-200 Hz and cut rooms at 200-400 Hz; let the close mics carry the kick and snare body."),
    ("backing_vocals", "masking", 150, 5000, "backing vocals crowding the lead", "High-pass at 150-200 Hz, cut 1-3 dB at 2-5 kHz, pan them away from the centre and keep them 3-6 dB below the lead."),
    ("mix_bus", "mud", 200, 500, "a muddy mix", "Find the tracks that overlap in 200-500 Hz; high-pass everything that does not need low end and cut 2-4 dB at 250-400 Hz on the less important of each overlapping pair."),
    ("mix_bus", "harsh", 2000, 5000, "a harsh, fatiguing mix", "Find which tracks peak at 2-5 kHz (vocals, guitars, cymbals) and cut there; check the mix at low volume, where harshness shows less, and at high volume, where it shows more."),
    ("mix_bus", "thin", 40, 250, "a thin mix", "Check the high-pass corners (too high on too many tracks is a common cause), then raise the kick and bass or boost 60-120 Hz on them; compare with a reference at matched loudness."),
    ("mix_bus", "dull", 6000, 20000, "a dull mix", "Compare with a level-matched reference; brighten the sources (vocal air, cymbals, presence on guitars) before a broad +1-2 dB shelf at 10 kHz on the bus."),
]  # fmt: skip

# --- compression starting points per track type --------------------------------------------------
# (type, ratio, attack, release, gain reduction, note)
COMPRESSION = [
    ("vocals", "3:1-4:1", "5-15 ms", "50-150 ms (or a 1/8 note)", "3-6 dB", "Pop vocals often use two compressors in series: a fast peak catcher (1176 style) then a slower levelling one (LA-2A style), each doing 2-4 dB. Too fast an attack dulls the consonants."),
    ("backing_vocals", "4:1-6:1", "5-10 ms", "50-100 ms", "5-8 dB", "Backing vocals are compressed harder than the lead so the stack stays steady under it."),
    ("kick", "4:1", "10-30 ms", "50-100 ms", "3-6 dB", "A slower attack lets the beater through for more punch; the release must finish before the next hit, so faster songs need faster releases."),
    ("snare", "4:1", "5-20 ms", "80-150 ms", "3-6 dB", "Attack decides crack against body: slower attack, more crack; faster release brings up the ring and room."),
    ("drums", "2:1-4:1", "10-30 ms", "auto or a 1/16-1/8 note", "2-4 dB", "For glue on the drum bus; for weight, parallel compression: squash a copy hard (8:1+, 10 dB+) and blend it under the dry kit."),
    ("bass", "4:1", "10-30 ms", "100-200 ms", "3-6 dB", "An attack shorter than one cycle of the lowest note (24 ms at 41 Hz) distorts the waveform; even notes matter more than peak control."),
    ("guitar", "2:1-4:1", "10-20 ms", "100 ms", "2-4 dB", "Distorted electric guitars are already compressed by the amp and rarely need more; acoustics and clean electrics benefit from gentle levelling."),
    ("keys", "2:1-3:1", "10-30 ms", "100-300 ms", "2-4 dB", "Gentle levelling keeps a piano's dynamics; heavy compression brings up pedal noise and room."),
    ("synth", "2:1", "10-30 ms", "100 ms", "0-3 dB", "Synths have a fixed level by design and often need none; sidechain compression from the kick is the common use, for pumping."),
    ("pad", "2:1", "20-50 ms", "a 1/4 note", "0-3 dB", "Pads rarely need level control; in dance music duck them from the kick (sidechain, 3-6 dB) to make room."),
    ("strings", "1.5:1-2:1", "20-50 ms", "200-400 ms", "1-3 dB", "Orchestral strings are better balanced with fader automation than compression, which flattens the phrasing."),
    ("brass", "3:1-4:1", "5-15 ms", "100 ms", "3-5 dB", "Horns vary a lot in level between notes; compression keeps a section even."),
    ("mix_bus", "2:1 (1.5:1-4:1)", "10-30 ms", "auto or 100-300 ms", "1-3 dB", "Bus 'glue': slow attack keeps the transients, the release set to breathe with the tempo. More than 3-4 dB of reduction changes the balance."),
    ("master", "limiter", "lookahead", "auto", "1-3 dB (more squashes transients)", "A true-peak limiter last in the chain with its ceiling at -1 dBTP; if it needs more than 3-4 dB of reduction, compress or fix the mix first."),
]  # fmt: skip

# --- reverb per track type ---------------------------------------------------------------------
# (type, reverb type, decay, pre-delay, note)
REVERB = [
    ("vocals", "plate or hall", "1.2-2.5 s", "20-60 ms (about a 1/64-1/32 note)", "Pre-delay keeps the dry voice in front and words intelligible; high-pass the return at 300-500 Hz and low-pass it at 6-10 kHz so it adds space without mud or sibilant splashes."),
    ("backing_vocals", "the lead's reverb", "1.5-2.5 s", "20-40 ms", "Send more of the backing vocals than of the lead to the same reverb: they sit further back."),
    ("snare", "plate, room or gated", "0.8-2 s (gated: 200-400 ms)", "0-20 ms", "A plate is the classic snare reverb; high-pass the return at 200-300 Hz."),
    ("kick", "room, or none", "0.3-0.8 s", "0 ms", "Kicks usually stay dry; a short room at low level adds size, with the return high-passed so the low end stays tight."),
    ("drums", "room", "0.5-1.2 s", "0-10 ms", "A room reverb glues a kit into one space; compressing the room return adds size."),
    ("bass", "none (or very short)", "-", "-", "Low frequencies in reverb smear the groove and cloud the mix; keep bass dry and in mono, or high-pass the send."),
    ("guitar", "spring, room or plate", "0.8-1.5 s", "10-30 ms", "Rhythm guitars want short rooms; leads and clean parts can take longer plates."),
    ("keys", "hall or room", "1.5-2.5 s", "10-30 ms", "Piano sounds natural in a hall; reduce the low end of the return."),
    ("synth", "hall or plate", "1-3 s", "10-40 ms", "Many synth patches carry their own reverb; check before adding more."),
    ("pad", "hall (often built in)", "2-4 s", "20-50 ms", "Pads are usually reverberant already; a long, dark hall pushes them back."),
    ("strings", "hall", "2-3 s", "20-40 ms", "Strings were written for halls; a convolution hall places dry samples in one."),
    ("brass", "room or hall", "1-2 s", "10-30 ms", "A shared room for the section places it together."),
]  # fmt: skip

# --- high-pass corners (Codette's TYPE_PROFILES, after Owsinski and Senior) ---------------------------
HIGH_PASS = [
    (t, int(p.high_pass_hz))
    for t, p in TYPE_PROFILES.items()
    if t in NAMES and t not in ("fx", "mix_bus", "master")
]

# --- delivery platforms --------------------------------------------------------------------------
# (key, name, integrated, true peak, text, source)
PLATFORMS = [
    ("spotify", "Spotify", "-14 LUFS", "-1 dBTP (-2 dBTP if the master is louder than -14 LUFS)", "Spotify normalises playback to -14 LUFS by default (its 'Loud' setting plays at -11 LUFS, 'Quiet' at -19 LUFS): a louder master is turned down, a quieter one turned up only as far as its peaks allow. Keep true peaks below -1 dBTP; masters louder than -14 LUFS should stay below -2 dBTP because lossy encoding raises peaks.", "spotify_loudness"),
    ("apple_music", "Apple Music", "-16 LUFS", "-1 dBTP", "Apple Music's Sound Check normalises to about -16 LUFS; Apple Digital Masters asks for true peaks at or below -1 dBTP so the AAC encode does not clip.", "apple_digital_masters"),
    ("youtube", "YouTube", "-14 LUFS", "-1 dBTP", "YouTube turns down uploads louder than about -14 LUFS (measured by users; YouTube does not publish the figure) and does not turn quieter ones up.", "aes_td1008"),
    ("ebu_r128", "broadcast (EBU R 128)", "-23 LUFS (±0.5 LU; ±1 LU for live)", "-1 dBTP", "European broadcast: programmes are normalised to -23 LUFS integrated with a maximum true peak of -1 dBTP, measured with BS.1770 gating; the loudness range (LRA) is reported alongside.", "ebu_r128"),
    ("atsc_a85", "US television (ATSC A/85)", "-24 LKFS (±2 dB)", "-2 dBTP", "US digital television delivers at -24 LKFS integrated (dialogue-anchored practice), true peak at most -2 dBTP.", "atsc_a85"),
    ("apple_podcasts", "podcasts (Apple Podcasts)", "-16 LKFS (±1 dB)", "-1 dBFS true peak", "Apple recommends podcasts at -16 LKFS integrated with true peaks not above -1 dBFS; spoken word louder than that sounds squashed, quieter needs listeners to turn up.", "apple_podcasts"),
    ("netflix", "Netflix (streaming film and TV)", "-27 LKFS dialogue-gated (±2 LU)", "-2 dBTP", "Netflix measures dialogue-gated loudness at -27 LKFS ±2 LU with true peaks at most -2 dBTP: film mixes keep their dynamics.", "netflix_sound"),
    ("aes_streaming", "streaming in general (AES)", "-16 to -20 LUFS", "-1 dBTP", "The AES recommends streaming and network file playback at -16 to -20 LUFS, peaks not above -1 dBTP, and album normalisation for music so the album's internal balance survives.", "aes_td1004"),
]  # fmt: skip


def entry(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {"track_types": [], "tags": [], "bands": [], "problems": [], "measurements": []}
    base.update(kw)
    return base


def regions() -> list[dict[str, object]]:
    out = []
    for t, key, lo, hi, region, what, do, tags, problems in REGIONS:
        bands = bands_between(lo, hi)
        fields = [f"spectrum.bands.{b}" for b in bands]
        for p in problems:
            fields += [f for f in PROBLEM_FIELDS[p] if f not in fields]
        out.append(entry(
            id=f"eq.{t}.{key}", topic="eq", title=f"{NAMES[t].capitalize()}: {region} ({fmt_hz(lo)}-{fmt_hz(hi)})",
            text=f"{what} {do}", track_types=[t], tags=tags, bands=bands, problems=problems,
            measurements=fields, freq_hz=[lo, hi], sources=BOOKS,
        ))  # fmt: skip
    return out


def problems() -> list[dict[str, object]]:
    out = []
    for t, p, lo, hi, symptom, fix in PROBLEMS:
        bands = bands_between(lo, hi)
        fields = [*PROBLEM_FIELDS[p], *(f"spectrum.bands.{b}" for b in bands)]
        out.append(entry(
            id=f"fix.{t}.{p}", topic="problem", title=f"Fixing {symptom}", text=f"For {symptom}: {fix}",
            track_types=[t], tags=[p.replace("_", " "), NAMES[t]], bands=bands, problems=[p],
            measurements=list(dict.fromkeys(fields)), freq_hz=[lo, hi], sources=BOOKS,
        ))  # fmt: skip
    return out


def compression() -> list[dict[str, object]]:
    out = []
    for t, ratio, attack, release, gr, note in COMPRESSION:
        text = (f"Starting point for {NAMES[t]} compression: ratio {ratio}, attack {attack}, release {release}, "
                f"about {gr} of gain reduction. {note} Adjust by ear; Codette's own suggestion sets the threshold "
                f"and ratio from the track's measured crest factor.")  # fmt: skip
        out.append(entry(
            id=f"comp.{t}", topic="compression", title=f"Compressing {NAMES[t]}: starting settings", text=text,
            track_types=[t], tags=["compressor", "compression", "ratio", "attack", "release", "threshold"],
            problems=[], measurements=["dynamics.crest_factor_db", "loudness.range_lu", "suggestions.compression"],
            sources=BOOKS,
        ))  # fmt: skip
    return out


def reverb() -> list[dict[str, object]]:
    out = []
    for t, kind, decay, pre, note in REVERB:
        text = f"Reverb for {NAMES[t]}: {kind}, decay {decay}, pre-delay {pre}. {note}"
        out.append(entry(
            id=f"reverb.{t}", topic="reverb", title=f"Reverb on {NAMES[t]}", text=text, track_types=[t],
            tags=["reverb", "space", "decay", "pre-delay", "send"],
            measurements=["stereo.width", "suggestions.reverb", "rhythm.tempo_bpm"], sources=BOOKS,
        ))  # fmt: skip
    return out


def high_pass() -> list[dict[str, object]]:
    out = []
    for t, corner in HIGH_PASS:
        text = (f"Codette suggests a high-pass on {NAMES[t]} at {corner} Hz when the track holds energy below "
                f"that corner within {-THRESHOLDS.rumble_share_db:g} dB of its total power (12 dB/oct; 24 dB/oct "
                f"when within {-THRESHOLDS.rumble_steep_db:g} dB). "
                f"Below {corner} Hz {NAMES[t]} carries little but rumble, spill and headroom-eating energy; "
                f"move the corner up until the sound thins, then back off.")  # fmt: skip
        out.append(entry(
            id=f"hpf.{t}", topic="eq", title=f"High-pass corner for {NAMES[t]}: {corner} Hz", text=text,
            track_types=[t], tags=["high-pass", "low cut", "rumble", "filter"], bands=bands_between(20, corner),
            problems=["rumble"], measurements=["suggestions.high_pass", "quality.rumble", "spectrum.bands.sub"],
            freq_hz=[20, corner], sources=[*BOOKS, "codette"],
        ))  # fmt: skip
    return out


def platforms() -> list[dict[str, object]]:
    out = []
    for key, name, integrated, tp, text, source in PLATFORMS:
        out.append(entry(
            id=f"loudness.platform.{key}", topic="loudness", title=f"Loudness target for {name}: {integrated}",
            text=f"{name}: integrated {integrated}, true peak {tp}. {text}", track_types=["master", "mix_bus"],
            tags=["loudness", "LUFS", "target", "normalisation", "true peak", key.replace("_", " ")],
            measurements=["loudness.integrated_lufs", "loudness.true_peak_dbtp", "session.mix.integrated_lufs"],
            platform=key, sources=[source, "itu_bs1770"],
        ))  # fmt: skip
    return out


def write(name: str, entries: list[dict[str, object]]) -> None:
    lines = [
        json.dumps(e, ensure_ascii=False, sort_keys=True) for e in sorted(entries, key=lambda e: str(e["id"]))
    ]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    write("generated_eq.jsonl", regions() + high_pass())
    write("generated_problems.jsonl", problems())
    write("generated_processing.jsonl", compression() + reverb())
    write("generated_loudness.jsonl", platforms())


if __name__ == "__main__":
    main()
