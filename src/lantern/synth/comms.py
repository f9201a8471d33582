"""Communications: cell sites, cameras, calls into provider CDRs and seized-phone logs, ANPR.

A call is made once and written wherever it would really show: in the CDR of each party
whose number is a target (so a call between two targets appears twice, once from each
side) and in the call log of a seized phone that made or took it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from lantern.synth import ids
from lantern.synth.context import Context
from lantern.synth.noise import Noise
from lantern.synth.population import person_id


@dataclass
class Endpoint:
    index: int  # mobile number index
    imei: str
    imsi: str
    pid: int
    target: bool


@dataclass
class Seized:
    exhibit: str
    pid: int
    index: int
    group: str
    from_day: int


class Comms:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seized: dict[int, Seized] = {}  # by number index
        self.cdr_seq = [0, 0]
        self.device_seq = 0
        self.anpr_seq = 0
        self.cameras: dict[tuple[int, int], tuple[str, str, str]] = {}

    # ---- static lists -------------------------------------------------------------------

    def cell(self, network: int, force: int, district: int, k: int = 0) -> str:
        lac = 1000 * (force + 1) + district
        if network == 0:
            return f"234-15-{lac}-{k + 1}"
        return f"{lac * 10 + k + 1}"

    def write_cells(self) -> None:
        pop = self.ctx.pop
        for network, name in enumerate(("synth-cells-qnet", "synth-cells-vireo")):
            writer = self.ctx.national[name]
            for force in self.ctx.forces:
                lo, hi = pop.street_range[force.index]
                for district in range(1, pop.districts[force.index] + 1):
                    street = next((s for s in pop.streets[lo:hi] if s.district == district),
                                  pop.streets[lo])
                    for k in range(2):
                        lat = 52.0 + force.index * 0.4 + district * 0.01 + k * 0.002
                        lon = -1.5 + force.index * 0.3 + district * 0.01
                        writer.write({"cell_id": self.cell(network, force.index, district, k),
                                      "site": f"{street.town} {street.name} mast",
                                      "lat": f"{lat:.5f}", "lon": f"{lon:.5f}",
                                      "azimuth": str((k * 120 + district * 40) % 360),
                                      "postcode": street.postcode})
                    self.cameras[(force.index, district)] = (
                        f"CAM-{force.letter}{district:02d}",
                        f"{street.name} junction, {street.town}", street.postcode)

    # ---- calls --------------------------------------------------------------------------

    def endpoint(self, pid: int, day: int, shared: bool = False) -> Endpoint | None:
        pop = self.ctx.pop
        if shared:
            for line in pop.person_lines.get(pid, []):
                if line.kind == "shared":
                    for seg in line.segments:
                        if seg.start <= day < seg.end and seg.person == pid:
                            return Endpoint(line.index, seg.imei, seg.imsi, pid, True)
            return None
        found = pop.line_at(pid, day)
        if found is None:
            return None
        return Endpoint(found[0], found[1], found[2], pid, found[0] in pop.lines)

    def call(self, a: Endpoint, b: Endpoint, when: datetime, place: tuple[int, int],
             sms: bool = False) -> None:
        """A calls (or texts) B; place is the (force, district) both are in."""
        duration = 0 if sms else self.ctx.rng.randint(5, 900)
        for side, party in (("a", a), ("b", b)):
            if party.target:
                self._cdr(party, a, b, when, duration, sms, place)
            seized = self.seized.get(party.index)
            if seized and seized.pid == party.pid and when.toordinal() >= seized.from_day:
                other = b if side == "a" else a
                self.device_seq += 1
                self.ctx.national["synth-device-calls"].write({
                    "exhibit": seized.exhibit, "entry_id": f"{seized.exhibit}-C{self.device_seq}",
                    "owner_number": ids.mobile_digits(party.index),
                    "other_number": ids.mobile_digits(other.index),
                    "direction": "Outgoing" if side == "a" else (
                        "Missed" if duration and duration < 10 else "Incoming"),
                    "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
                    "duration": str(duration)})

    def _cdr(self, target: Endpoint, a: Endpoint, b: Endpoint, when: datetime,
             duration: int, sms: bool, place: tuple[int, int]) -> None:
        network = target.index % 2
        self.cdr_seq[network] += 1
        seq = self.cdr_seq[network]
        cell = self.cell(network, place[0], place[1], seq % 2)
        end_cell = self.cell(network, place[0], place[1], (seq + (duration > 300)) % 2)
        if network == 0:
            self.ctx.national["synth-cdr-qnet"].write({
                "record_id": f"QN{seq:09d}", "target": ids.mobile_digits(target.index),
                "a_number": ids.mobile_digits(a.index), "b_number": ids.mobile_digits(b.index),
                "call_type": "SMS" if sms else "VOICE",
                "start": when.strftime("%d/%m/%Y %H:%M:%S"), "duration": str(duration),
                "imei": target.imei, "imsi": target.imsi, "first_cell": cell,
                "last_cell": end_cell})
        else:
            self.ctx.national["synth-cdr-vireo"].write({
                "rec_seq": str(seq), "subscriber": "44" + ids.mobile_digits(target.index)[1:],
                "a_number": "44" + ids.mobile_digits(a.index)[1:],
                "b_number": "44" + ids.mobile_digits(b.index)[1:],
                "call_date": when.strftime("%Y%m%d"), "call_time": when.strftime("%H%M%S"),
                "duration": str(duration), "call_type": "S" if sms else "V",
                "imei": target.imei, "imsi": target.imsi, "first_cell": cell,
                "last_cell": end_cell})

    def calls_between(self, a_pid: int, b_pid: int, count: int, start: int, end: int,
                      place: tuple[int, int], shared_a: bool = False) -> int:
        """`count` calls and texts either way between two people over [start, end)."""
        made = 0
        ctx = self.ctx
        for _ in range(count):
            day = ctx.day(start, end)
            a = self.endpoint(a_pid, day, shared_a) or self.endpoint(a_pid, day)
            b = self.endpoint(b_pid, day)
            if a is None or b is None:
                continue
            if ctx.rng.random() < 0.5:
                a, b = b, a
            self.call(a, b, ctx.when(day, evening=ctx.rng.random() < 0.6), place,
                      sms=ctx.rng.random() < 0.35)
            made += 1
        return made

    # ---- devices ------------------------------------------------------------------------

    def seize(self, exhibit: str, pid: int, group: str, day: int,
              log_calls: bool = True) -> Seized | None:
        """A phone downloaded; with ``log_calls`` its call log fills as later calls are made."""
        found = self.ctx.pop.line_at(pid, day)
        if found is None:
            return None
        seized = Seized(exhibit, pid, found[0], group, 0)  # a download holds all history
        if log_calls:
            self.seized[found[0]] = seized
        self.ctx.truth.write("devices", exhibit, person_id(pid),
                             "+44" + ids.mobile_digits(found[0])[1:], group)
        return seized

    def contact(self, seized: Seized, pid: int, saved: str, day: int,
                noise: Noise | None = None) -> None:
        found = self.ctx.pop.line_at(pid, day)
        if found is None:
            return
        self.device_seq += 1
        self.ctx.national["synth-device-contacts"].write({
            "exhibit": seized.exhibit, "entry_id": f"{seized.exhibit}-K{self.device_seq}",
            "owner_number": ids.mobile_digits(seized.index),
            "contact_number": (noise or self.ctx.noise).phone(ids.mobile_digits(found[0])),
            "saved_name": saved})

    def messages(self, seized: Seized, pid: int, count: int, start: int, end: int) -> None:
        ctx = self.ctx
        for _ in range(count):
            day = ctx.day(start, end)
            found = ctx.pop.line_at(pid, day)
            if found is None:
                continue
            when = ctx.when(day, evening=True)
            sent = ctx.rng.random() < 0.5
            own, other = ids.mobile_digits(seized.index), ids.mobile_digits(found[0])
            self.device_seq += 1
            ctx.national["synth-device-messages"].write({
                "exhibit": seized.exhibit, "message_id": f"{seized.exhibit}-M{self.device_seq}",
                "owner_number": own, "sender": own if sent else other,
                "recipient": other if sent else own,
                "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
                "app": ctx.rng.choice(("SMS", "WhatsApp", "Snapchat")),
                "direction": "Sent" if sent else "Received"})

    # ---- ANPR ---------------------------------------------------------------------------

    def anpr(self, vrm: str, when: datetime, force: int, district: int,
             rng: random.Random | None = None) -> datetime:
        """One read by the district's camera around ``when``; returns the time read."""
        rng = rng or self.ctx.rng
        camera, location, postcode = self.cameras[(force, district)]
        self.anpr_seq += 1
        read = when + timedelta(minutes=rng.randint(-20, 5))
        self.ctx.national["synth-anpr"].write({
            "read_id": f"AR{self.anpr_seq:010d}", "vrm": vrm.replace(" ", ""),
            "read_time": read.strftime("%Y-%m-%d %H:%M:%S"),
            "camera_id": camera, "camera_location": location, "postcode": postcode,
            "direction": rng.choice(("Northbound", "Southbound", "Eastbound", "Westbound"))})
        return read
