"""Narrative text: factual, non-graphic, the way police records read (indicators only)."""

from __future__ import annotations

GROUP_OFFENCES = (
    ("Sexual activity with a child", "SX-CH-01"),
    ("Causing or inciting a child to engage in sexual activity", "SX-CH-02"),
    ("Sexual communication with a child", "SX-CH-03"),
    ("Child abduction - breach of warning notice", "CA-WN-01"),
    ("Supply of controlled drug to a child", "DR-SU-04"),
    ("Arranging travel of a child for exploitation", "MS-TR-02"),
)
BACKGROUND_OFFENCES = (
    ("Theft from a shop", "TH-SH-01"), ("Common assault", "VA-CA-01"),
    ("Criminal damage", "CD-GN-01"), ("Burglary - residential", "BU-RE-01"),
    ("Theft of motor vehicle", "TH-MV-01"), ("Possession of cannabis", "DR-PO-01"),
    ("Harassment", "HA-GN-01"), ("Assault occasioning actual bodily harm", "VA-AB-01"),
)
YOUTH_OFFENCES = (
    ("Theft from a shop", "TH-SH-01"), ("Criminal damage", "CD-GN-01"),
    ("Public order offence", "PO-GN-01"), ("Possession of cannabis", "DR-PO-01"),
)
VICTIM_BLAMING = (
    "Officer view: this appears to be a lifestyle choice.",
    "Child is putting {self} at risk by associating with older males.",
    "Child appears to be consenting to the contact.",
    "Child is streetwise and making her own choices.",
)
GROUP_CRIME = (
    "Child (aged {age}) reported by carer after a missing episode; disclosed being given "
    "alcohol and driven to an address by older males. Suspect named by child.",
    "Referral from school: child has a new phone and gifts, and is collected from school by "
    "an adult male in a car. Suspect identified from vehicle enquiries.",
    "Child found at {premises} late at night in the company of adult males. Suspect "
    "arrested and interviewed; denies the offence.",
    "Messages on child's phone from a number saved as '{alias}' arranging to meet. Suspect "
    "linked to the number.",
)
NFA_REASON = (
    "Child declined to support a prosecution.",
    "Insufficient evidence to proceed; no independent witness.",
    "Child withdrew account; file closed.",
)
GROUP_INTEL = (
    "Source reports that a male known as '{alias}' collects girls aged around {age} from "
    "{premises} in a car, VRM {vrm}, and drives them to addresses in {town}.",
    "Information suggests {name} is supplying alcohol and cannabis to children at "
    "{premises}. Contact number {phone}.",
    "{victim} (aged about {age}) is said to be in regular contact with a male called "
    "'{alias}' on {phone}; she has been seen with new clothes and a new phone.",
    "Vehicle {vrm} seen on several occasions outside {premises} late at night with young "
    "females inside. Driver believed to be {name}.",
)
BACKGROUND_INTEL = (
    "Information suggests {name} is dealing cannabis from an address in {town}.",
    "{name} reported to be involved in anti-social behaviour near {premises}.",
    "Source states {name} is in debt to local dealers. No further detail.",
)
VICTIM_RETURN = (
    "Returned with a new mobile phone and cash; would not say who provided them.",
    "Said she had been with 'friends' in {town}; seen getting into a car, VRM {vrm}.",
    "Disclosed staying at {premises}; declined further questions.",
    "Returned intoxicated; mentioned a male called '{alias}'. Referred to children's services.",
    "Refused return interview.",
)
DECOY_RETURN = (
    "Stayed with a friend after an argument at home; no exploitation concerns disclosed.",
    "Found at grandparent's address; said she wanted some space. No concerns raised.",
    "Located in the town centre with peers, had been drinking. Returned home by patrol.",
    "Went to a party with school friends and lost track of time. No concerns.",
    "Refused return interview.",
)
BACKGROUND_RETURN = (
    "Returned of own accord; said they had stayed with a friend.",
    "Found by family in the local park. No concerns disclosed.",
)
SIGHTING = (
    "Seen with {men} adult males and {kids} females believed to be under 18.",
    "Group seen entering premises together late evening; left in vehicle {vrm}.",
    "Patrol observed subjects in conversation outside premises; young females present.",
)
DECOY_SIGHTING = (
    "Seen with a group of teenagers; no adults present.",
    "Seen in the park with school friends after dark; advised to go home.",
)
STOP_GROUNDS = (
    "Vehicle stopped late at night; female passenger believed to be under 16",
    "Vehicle seen circling near children's home",
    "Manner of driving; occupants evasive",
)
DECOY_STOP = ("Suspected possession of cannabis", "Matched description of shoplifting suspect")
BACKGROUND_STOP = ("Suspected possession of drugs", "Suspected stolen property",
                   "Going equipped")
CUSTODY_REASONS = ("Sexual activity with a child", "Child abduction warning notice breach",
                   "Possession with intent to supply", "Driving whilst disqualified")
CUSTODY_DISPOSALS = ("Released under investigation", "Charged", "No further action",
                     "Released on bail")
COLOURS = ("silver", "black", "white", "grey", "blue", "red")
