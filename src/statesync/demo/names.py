"""Word lists for synthetic districts."""

PLACES = (
    "Lincoln", "Washington", "Jefferson", "Roosevelt", "Franklin", "Madison", "Jackson",
    "Riverside", "Hillcrest", "Lakeview", "Oak Grove", "Maple", "Cedar Ridge", "Pine Valley",
    "Prairie", "Meadowbrook", "Sunset", "Eastside", "Westwood", "Northfield", "Southgate",
    "Willow Creek", "Highland", "Parkview", "Fairview", "Greenfield", "Stonebridge", "Brookside",
    "Kennedy", "Adams", "Monroe", "Garfield", "Harrison", "Grant", "Sherman", "Douglas",
    "Carver", "Whittier", "Longfellow", "Emerson", "Thoreau", "Hawthorne", "Audubon", "Muir",
)

FIRST_NAMES_F = (
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Abigail",
    "Emily", "Ella", "Elizabeth", "Camila", "Luna", "Sofia", "Avery", "Mila", "Aria", "Scarlett",
    "Penelope", "Layla", "Chloe", "Victoria", "Madison", "Eleanor", "Grace", "Nora", "Riley", "Zoey",
    "María", "Guadalupe", "Aaliyah", "Nevaeh", "Hannah", "Leah", "Naomi", "Ximena", "Valentina",
)
FIRST_NAMES_M = (
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
    "Theodore", "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael", "Mason",
    "Sebastian", "Ethan", "Logan", "Owen", "Samuel", "Jacob", "Asher", "Aiden", "John", "Joseph",
    "Wyatt", "David", "José", "Luis", "Carlos", "Jamal", "DeShawn", "Malik", "Tyrone", "Nguyen",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "O'Brien", "Van der Berg", "St. John", "Müller", "Yazzie",
)


def _courses() -> tuple[tuple[str, str, str], ...]:
    """(district course number, state course code, name): codes start with a known subject area."""
    subjects = (
        ("01", "ENG", "English Language Arts"),
        ("02", "MTH", "Mathematics"),
        ("03", "SCI", "Science"),
        ("04", "SOC", "Social Studies"),
        ("05", "ART", "Fine Arts"),
        ("06", "LNG", "World Languages"),
        ("08", "PE", "Physical Education"),
        ("10", "CS", "Computer Science"),
        ("21", "CTE", "Career and Technical Education"),
    )
    courses = []
    for area, prefix, title in subjects:
        for level in range(1, 13):
            code = f"{area}{level:03d}"
            courses.append((f"{prefix}{level:03d}", code, f"{title} {level}"))
    return tuple(courses)


COURSES = _courses()

