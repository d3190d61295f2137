"""Case by case: draw a scenario, build it, and keep it only if the oracle agrees.

Cases are built in fixed-size chunks; each chunk has its own random stream derived from the seed
and the chunk number, so the output does not depend on anything but (seed, cases, as_of, dirty).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator

from samples.model import Case
from samples.oracle import AuditContext, UnsupportedShape, audit_case
from samples.plants import Kit
from samples.scenarios import Chooser, Scenario, build_clean
from samples.timeline import Infeasible
from samples.workdays import OutOfCalendar

CHUNK = 2000
PLANT_ATTEMPTS = 40
FORCED_ATTEMPTS = 400
CLEAN_ATTEMPTS = 400


class GenerationError(RuntimeError):
    """A scenario could not be built; this is a bug in the generator."""


def chunk_rng(seed: int, chunk: int) -> random.Random:
    digest = hashlib.sha256(f"sunlight-samples/{seed}/{chunk}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class CaseFactory:
    def __init__(self, kit: Kit, cases: int, seed: int) -> None:
        self.kit = kit
        self.cases = cases
        self.seed = seed
        self.chooser = Chooser(cases, seed)
        ctx = kit.ctx
        self.audit = AuditContext(ctx.district, ctx.cal, ctx.as_of)
        self.rejected: Counter[str] = Counter()

    def _attempt(self, scenario: Scenario | None, rng: random.Random, index: int) -> Case | None:
        try:
            if scenario is None:
                case = build_clean(self.kit, rng, index, self.kit.pools.platform(rng))
            else:
                case = scenario.build(self.kit, rng, index)
                case.scenario = scenario.name
            found = audit_case(case, self.audit)
        except (Infeasible, OutOfCalendar, UnsupportedShape) as exc:
            self.rejected[f"{scenario.name if scenario else 'clean'}: {type(exc).__name__}"] += 1
            return None
        wanted = {f.code: f.level for f in case.expected}
        if found != wanted:
            self.rejected[f"{scenario.name if scenario else 'clean'}: found {sorted(found.items())}"] += 1
            return None
        return case

    def build(self, index: int, rng: random.Random) -> Case:
        forced = self.chooser.forced.get(index)
        scenario = forced or self.chooser.draw(rng)
        if scenario is not None:
            attempts = FORCED_ATTEMPTS if forced else PLANT_ATTEMPTS
            for _ in range(attempts):
                case = self._attempt(scenario, rng, index)
                if case is not None:
                    return case
            if forced:
                raise GenerationError(f"scenario {scenario.name} failed {attempts} times: {self.rejected}")
        for _ in range(CLEAN_ATTEMPTS):
            case = self._attempt(None, rng, index)
            if case is not None:
                return case
        raise GenerationError(f"no clean case after {CLEAN_ATTEMPTS} attempts: {self.rejected.most_common(5)}")

    def chunks(self) -> Iterator[list[Case]]:
        for chunk, start in enumerate(range(0, self.cases, CHUNK)):
            rng = chunk_rng(self.seed, chunk)
            yield [self.build(index, rng) for index in range(start, min(start + CHUNK, self.cases))]
