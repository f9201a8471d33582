"""Name pools: forenames and surnames by background, variants, nicknames, places.

Every pool is Latin-1 safe so that the force that exports in cp1252 can write it. Names are
common ones chosen for realism; streets, towns, premises and forces are invented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ethnicity:
    code: str  # self-defined 16+1 code
    label: str  # the description some systems export instead of the code
    ic: str  # officer-defined IC code
    pool: str  # which name pool a person of this background draws from
    weight: float  # share of the background population (before per-force variation)


ETHNICITIES: tuple[Ethnicity, ...] = (
    Ethnicity("W1", "White - British", "IC1", "british", 0.72),
    Ethnicity("W2", "White - Irish", "IC1", "irish", 0.02),
    Ethnicity("W9", "White - Any other White background", "IC2", "east_european", 0.07),
    Ethnicity("A1", "Asian - Indian", "IC4", "indian", 0.03),
    Ethnicity("A2", "Asian - Pakistani", "IC4", "pakistani", 0.04),
    Ethnicity("A3", "Asian - Bangladeshi", "IC4", "bangladeshi", 0.015),
    Ethnicity("B1", "Black - Caribbean", "IC3", "caribbean", 0.015),
    Ethnicity("B2", "Black - African", "IC3", "african", 0.03),
    Ethnicity("M1", "Mixed - White and Black Caribbean", "IC3", "mixed", 0.02),
    Ethnicity("O1", "Other - Chinese", "IC5", "chinese", 0.01),
    Ethnicity("O9", "Other - Any other ethnic group", "IC6", "middle_eastern", 0.02),
)

_M, _F, _S = "male", "female", "surname"

POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "british": {
        _M: ("Daniel", "James", "Thomas", "Jack", "Liam", "Ryan", "Connor", "Callum", "Jordan",
             "Kieran", "Lewis", "Nathan", "Adam", "Craig", "Darren", "Lee", "Mark", "Paul",
             "Stephen", "Gary", "Wayne", "Dean", "Shane", "Jamie", "Scott", "Michael", "David",
             "Andrew", "Matthew", "Christopher", "Joshua", "Harry", "Oliver", "Charlie",
             "George", "Alfie", "Jake", "Reece", "Brandon", "Tyler"),
        _F: ("Chloe", "Emily", "Jessica", "Sophie", "Lauren", "Megan", "Hannah", "Amy",
             "Rebecca", "Charlotte", "Olivia", "Ellie", "Holly", "Paige", "Shannon", "Courtney",
             "Jade", "Kayleigh", "Leah", "Abbie", "Bethany", "Katie", "Natalie", "Sarah", "Emma",
             "Gemma", "Zoë", "Amber", "Lily", "Grace", "Mia", "Evie", "Freya", "Millie", "Ruby",
             "Tia", "Demi", "Keeley", "Stacey", "Kerry"),
        _S: ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
             "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
             "Hall", "Wood", "Jackson", "Clarke", "Price", "Holt", "Bennett", "Marsh",
             "Fletcher", "Barker", "Shaw", "Lloyd", "Hughes", "Ward", "Turner", "Cooper", "Hill",
             "Moore", "Kelly", "Harrison", "Parker", "Atkinson", "Dixon", "Mason", "Booth",
             "Pearson", "Hartley", "Crossley", "Sutcliffe", "Ackroyd", "Halliwell", "Greenwood",
             "Whitworth", "O'Connor", "McCarthy", "McDonald"),
    },
    "irish": {
        _M: ("Seán", "Ciarán", "Niall", "Declan", "Patrick", "Eoin", "Conor", "Cathal"),
        _F: ("Siobhán", "Aoife", "Niamh", "Róisín", "Orla", "Ciara", "Clodagh", "Sinéad"),
        _S: ("Murphy", "O'Brien", "Byrne", "Doyle", "Gallagher", "Keane", "Quinn", "O'Neill",
             "Kavanagh", "Brennan"),
    },
    "east_european": {
        _M: ("Piotr", "Tomasz", "Krzysztof", "Marcin", "Pawel", "Andrei", "Mihai", "Ionut",
             "Marius", "Florin", "Jakub", "Lukas", "Tomas", "Martin", "Dawid"),
        _F: ("Agnieszka", "Katarzyna", "Magdalena", "Anna", "Ioana", "Elena", "Andreea",
             "Alina", "Monika", "Natalia", "Zuzana"),
        _S: ("Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Popescu",
             "Ionescu", "Popa", "Dumitru", "Stan", "Horvath", "Novak", "Balogh", "Kovacs"),
    },
    "indian": {
        _M: ("Harpreet", "Gurpreet", "Jaspal", "Sanjay", "Rajesh", "Amit", "Vikram", "Arjun",
             "Ravi", "Manjit", "Sunil"),
        _F: ("Priya", "Pooja", "Simran", "Harjit", "Kiran", "Anjali", "Neha", "Sunita", "Amrit",
             "Jaspreet"),
        _S: ("Patel", "Singh", "Sharma", "Gill", "Sandhu", "Mistry", "Chauhan", "Sidhu",
             "Dhillon", "Kumar"),
    },
    "pakistani": {
        _M: ("Mohammed", "Imran", "Asif", "Tariq", "Zubair", "Adeel", "Kamran", "Usman",
             "Bilal", "Faisal", "Shahid", "Sajid", "Waqas", "Naveed", "Amir", "Zeeshan", "Hamza",
             "Yusuf"),
        _F: ("Ayesha", "Fatima", "Sana", "Nadia", "Saira", "Hina", "Amina", "Zara", "Mariam",
             "Rukhsana", "Samina", "Iqra", "Aleena"),
        _S: ("Khan", "Hussain", "Ahmed", "Ali", "Iqbal", "Shah", "Akhtar", "Mahmood", "Butt",
             "Rashid", "Malik", "Aslam", "Raza", "Javed", "Qureshi"),
    },
    "bangladeshi": {
        _M: ("Mohammed", "Abdul", "Shamim", "Rahim", "Jamal", "Anwar", "Sohel", "Rubel",
             "Tanvir", "Kamal"),
        _F: ("Nusrat", "Shirin", "Rumana", "Taslima", "Farhana", "Jasmin", "Sumaiya", "Tahmina"),
        _S: ("Rahman", "Miah", "Uddin", "Islam", "Choudhury", "Hoque", "Ahmed", "Alam"),
    },
    "caribbean": {
        _M: ("Tyrone", "Marcus", "Leon", "Delroy", "Jermaine", "Andre", "Dwayne", "Kyle",
             "Troy", "Winston"),
        _F: ("Shanice", "Tanisha", "Keisha", "Jasmine", "Chantelle", "Aaliyah", "Monique",
             "Latoya"),
        _S: ("Campbell", "Brown", "Williams", "Francis", "Clarke", "Robinson", "Morgan",
             "Edwards", "Grant", "Henry", "Thomas", "Lewis"),
    },
    "african": {
        _M: ("Kwame", "Kofi", "Chinedu", "Emeka", "Oluwaseun", "Tunde", "Samuel", "Abdi",
             "Yusuf", "Tendai"),
        _F: ("Grace", "Blessing", "Precious", "Chioma", "Adaeze", "Amara", "Ngozi", "Fadumo",
             "Hodan", "Abena", "Esther", "Favour"),
        _S: ("Adeyemi", "Okafor", "Mensah", "Osei", "Okonkwo", "Adebayo", "Boateng", "Mohamed",
             "Hassan", "Nwosu", "Moyo"),
    },
    "chinese": {
        _M: ("Wei", "Jun", "Hao", "Ming", "Jian"),
        _F: ("Mei", "Xin", "Yan", "Hui", "Ling"),
        _S: ("Chen", "Wang", "Li", "Zhang", "Liu", "Wong", "Lam", "Cheung"),
    },
    "middle_eastern": {
        _M: ("Ahmed", "Omar", "Karwan", "Rebin", "Hawre", "Mustafa", "Hassan", "Soran", "Kamal"),
        _F: ("Rojin", "Shilan", "Leila", "Noor", "Layla", "Dilan", "Sara"),
        _S: ("Ali", "Hassan", "Abdullah", "Rasul", "Karim", "Aziz", "Hamad", "Saleh", "Omar"),
    },
}
# Mixed heritage: forenames from one pool, surnames from another.
POOLS["mixed"] = {
    _M: POOLS["british"][_M][:20] + POOLS["caribbean"][_M],
    _F: POOLS["british"][_F][:20] + POOLS["caribbean"][_F],
    _S: POOLS["caribbean"][_S] + POOLS["british"][_S][:12],
}

# Spellings of one name that records of one person really carry (transliteration, accents).
VARIANTS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad"),
    "Mohamed": ("Mohammed", "Muhamed", "Mohamud"),
    "Ahmed": ("Ahmad", "Ahmet"),
    "Hussain": ("Hussein", "Husain", "Hossain"),
    "Yusuf": ("Yousef", "Yusef", "Youssef"),
    "Mahmood": ("Mahmud", "Mehmood"),
    "Choudhury": ("Chowdhury", "Chaudhry", "Chaudhary"),
    "Rahman": ("Rehman",),
    "Iqbal": ("Ikbal",),
    "Abdul": ("Abdool",),
    "Fatima": ("Fatma", "Fatimah"),
    "Ayesha": ("Aisha", "Aysha"),
    "Mustafa": ("Mustapha", "Moustafa"),
    "Omar": ("Umar",),
    "Hassan": ("Hasan",),
    "Zhang": ("Chang",),
    "Seán": ("Sean", "Shaun"),
    "Siobhán": ("Siobhan", "Shevaun"),
    "Zoë": ("Zoe",),
    "Róisín": ("Roisin", "Rosheen"),
    "Ciarán": ("Ciaran", "Kieran"),
    "Sinéad": ("Sinead",),
    "Piotr": ("Peter",),
    "Krzysztof": ("Christopher", "Krystof"),
    "Pawel": ("Pavel", "Paul"),
    "Wojcik": ("Wojcick", "Voitsik"),
    "Oluwaseun": ("Seun",),
}

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Daniel": ("Dan", "Danny"), "James": ("Jim", "Jimmy"), "Thomas": ("Tom", "Tommy"),
    "Michael": ("Mike", "Mick"), "Christopher": ("Chris",), "Matthew": ("Matt",),
    "Joshua": ("Josh",), "Nathan": ("Nate",), "Stephen": ("Steve",), "Andrew": ("Andy",),
    "David": ("Dave",), "Rebecca": ("Becky", "Becca"), "Charlotte": ("Charlie", "Lottie"),
    "Jessica": ("Jess",), "Olivia": ("Liv",), "Natalie": ("Nat",), "Katie": ("Kate",),
    "Sarah": ("Sal",), "Emily": ("Em",), "Mohammed": ("Mo", "Moe"), "Imran": ("Immy",),
    "Kamran": ("Kam",), "Zubair": ("Zubi",), "Tariq": ("Taz",), "Bilal": ("Billy",),
    "Faisal": ("Fez",), "Hamza": ("Hamz",), "Harpreet": ("Harry",), "Kwame": ("Kay",),
    "Oluwaseun": ("Seun", "Shaun"), "Krzysztof": ("Kris",), "Marius": ("Mario",),
    "Tyrone": ("Ty",), "Jermaine": ("Jay",), "Abdul": ("Abdi",), "Bethany": ("Beth",),
    "Abbie": ("Abs",), "Jamie": ("Jay",), "Shannon": ("Shan",), "Megan": ("Meg",),
}

# Street names (aliases) offenders go by in intelligence and in contact lists.
STREET_NAMES = (
    "Taz", "Kash", "Bigz", "Smokey", "Chico", "Ace", "Boss", "Tiny", "Spider", "Deno",
    "Rocky", "Kingy", "Bossman", "Scooby", "Blaze", "Pops", "Tank", "Lucky", "Flash", "Jinx",
    "Solo", "Dex", "Mack", "Juice", "Skinny", "Bruv", "Ghost", "Biggie", "Shorty", "Prince",
)

# Fictional forces and their towns, as many as England and Wales have territorial forces (43).
# Force i uses postcode area "Q" + a letter (lantern.synth.ids.postcode). The first six are
# the scenario's own; the rest are built from invented roots (checked against no real place).
_FIRST_FORCES = (
    ("Aldmoor Police", ("Eastbury", "Westmoor", "Ashby Cross")),
    ("Brackwater Constabulary", ("Brackwater", "Holmford", "Sallowby")),
    ("Calderby Police", ("Calderby", "Mirestone", "Oakhurst")),
    ("Dunmere Constabulary", ("Dunmere", "Kettleford", "Wrayton Vale")),
    ("Eastling Police", ("Eastling", "Fairholm", "Greywick")),
    ("Fenwick Constabulary", ("Fenwick", "Lindle Mill", "Marbeck")),
)
_ROOTS = (
    "Garrow", "Hexel", "Ilver", "Jessen", "Kelver", "Lorrow", "Marrel", "Nettle", "Orrin",
    "Peller", "Quillen", "Racken", "Tarnel", "Ulver", "Vexel", "Wendle", "Yarrel", "Brindle",
    "Corran", "Dorrow", "Emberly", "Fallen", "Gorsel", "Harth", "Ivel", "Jorran", "Kindle",
    "Lathen", "Mallow", "Norrel", "Ossel", "Pikeren", "Quarrel", "Rillen", "Sedgel", "Tallow",
    "Umber",
)
_ENDS = ("moor", "dale", "wick", "by", "ford", "mere", "holm", "stead")


def _more_forces() -> list[tuple[str, tuple[str, str, str]]]:
    out = []
    for k, root in enumerate(_ROOTS):
        seat, second, third = (_ENDS[(k + n) % len(_ENDS)] for n in (0, 3, 5))
        kind = "Police" if k % 2 else "Constabulary"
        out.append((f"{root}{seat} {kind}", (f"{root}{seat}", f"Upper {root}{second}",
                                             f"{root}{third} Green")))
    return out


_ALL_FORCES = (*_FIRST_FORCES, *_more_forces())
FORCE_NAMES = tuple(name for name, _ in _ALL_FORCES)
TOWNS = tuple(towns for _, towns in _ALL_FORCES)
STREET_WORDS = (
    "Larch", "Orchard", "Mill", "Station", "Church", "Victoria", "Albert", "Brook", "Cedar",
    "Elm", "Hawthorn", "Heather", "Kestrel", "Lark", "Linden", "Maple", "Moss", "Oak", "Rowan",
    "Sycamore", "Willow", "Granary", "Foundry", "Weaver", "Tanner", "Cooper", "Chapel",
    "Quarry", "Canal", "Bridge", "Beacon", "Meadow", "Fern", "Ivy", "Primrose", "Thistle",
    "Wren", "Heron", "Falcon", "Badger", "Copper", "Flax", "Loom", "Spindle", "Bobbin",
)
STREET_TYPES = (
    "Road", "Street", "Lane", "Close", "Avenue", "Grove", "Terrace", "Row", "Way", "Crescent",
    "Drive", "Court", "Gardens", "Walk",
)
# (premises type in the schema, name patterns; {town} and {street} are filled in).
PREMISES_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("takeaway", ("Golden Spoon Takeaway", "Pizza Plaza", "Grill Express", "Chicken Hut",
                  "Kebab Corner", "Star Fried Chicken", "Night Bite")),
    ("hotel", ("{town} Lodge Hotel", "Station Inn", "Parkside Guest House", "Canal View Hotel")),
    ("flat", ("Flat {n}, {street}",)),
    ("shop", ("Quickmart", "Late Shop", "Vape Point", "Phone Fix")),
    ("car_park", ("{town} Retail Park car park", "Leisure Centre car park")),
    ("park", ("{street} Park", "Mill Pond Park")),
    ("children_home", ("Fernside Children's Home", "Oakwood House", "Brook Lodge")),
    ("licensed_premises", ("The Red Lion", "The Weavers Arms", "The Kestrel")),
)
