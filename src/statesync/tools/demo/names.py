"""Word lists for synthetic districts."""

PLACES = (
    "Lincoln",
    "Washington",
    "Jefferson",
    "Roosevelt",
    "Franklin",
    "Madison",
    "Jackson",
    "Riverside",
    "Hillcrest",
    "Lakeview",
    "Oak Grove",
    "Maple",
    "Cedar Ridge",
    "Pine Valley",
    "Prairie",
    "Meadowbrook",
    "Sunset",
    "Eastside",
    "Westwood",
    "Northfield",
    "Southgate",
    "Willow Creek",
    "Highland",
    "Parkview",
    "Fairview",
    "Greenfield",
    "Stonebridge",
    "Brookside",
    "Kennedy",
    "Adams",
    "Monroe",
    "Garfield",
    "Harrison",
    "Grant",
    "Sherman",
    "Douglas",
    "Carver",
    "Whittier",
    "Longfellow",
    "Emerson",
    "Thoreau",
    "Hawthorne",
    "Audubon",
    "Muir",
)


def _words(text: str) -> tuple[str, ...]:
    """Names separated by commas (a name may hold a space: "Van der Berg")."""
    return tuple(word.strip() for word in text.split(","))


FIRST_NAMES_F = _words(
    """
    Olivia, Emma, Ava, Sophia, Isabella, Mia, Amelia, Harper, Evelyn, Abigail, Emily, Ella,
    Elizabeth, Camila, Luna, Sofia, Avery, Mila, Aria, Scarlett, Penelope, Layla, Chloe,
    Victoria, Madison, Eleanor, Grace, Nora, Riley, Zoey, María, Guadalupe, Aaliyah, Nevaeh,
    Hannah, Leah, Naomi, Ximena, Valentina, Addison, Alexa, Alice, Allison, Ana, Angela, Anna,
    Ariana, Aubrey, Audrey, Autumn, Bailey, Bella, Brianna, Brooklyn, Caroline, Claire, Delilah,
    Elena, Eliana, Emilia, Eva, Everly, Faith, Gabriella, Genesis, Gianna, Hailey, Hazel,
    Isabelle, Ivy, Jade, Jasmine, Josephine, Kaylee, Kennedy, Kinsley, Lillian, Lily, Lucy,
    Lydia, Madelyn, Maria, Maya, Melanie, Natalie, Nova, Paisley, Peyton, Piper, Quinn, Ruby,
    Sadie, Samantha, Sarah, Savannah, Serenity, Skylar, Stella, Vivian, Violet, Willow
    """
)
FIRST_NAMES_M = _words(
    """
    Liam, Noah, Oliver, Elijah, James, William, Benjamin, Lucas, Henry, Theodore, Jack, Levi,
    Alexander, Jackson, Mateo, Daniel, Michael, Mason, Sebastian, Ethan, Logan, Owen, Samuel,
    Jacob, Asher, Aiden, John, Joseph, Wyatt, David, José, Luis, Carlos, Jamal, DeShawn, Malik,
    Tyrone, Nguyen, Aaron, Adam, Adrian, Andrew, Angel, Anthony, Austin, Axel, Brandon, Brayden,
    Bryson, Caleb, Cameron, Carson, Carter, Charles, Christian, Christopher, Colton, Connor,
    Cooper, Dominic, Dylan, Easton, Eli, Elias, Eric, Evan, Everett, Ezekiel, Ezra, Gabriel,
    Gavin, Grayson, Greyson, Hudson, Hunter, Ian, Isaac, Isaiah, Jace, Jaxon, Jaxson, Jayden,
    Jeremiah, Jonathan, Jordan, Jose, Josiah, Julian, Kai, Kayden, Landon, Leo, Lincoln, Luca,
    Luke, Maverick, Miles, Nathan, Nicholas, Nolan, Parker, Robert, Roman, Ryan, Santiago,
    Thomas, Wesley, Weston, Xavier, Zachary
    """
)
LAST_NAMES = _words(
    """
    Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez,
    Hernandez, Lopez, Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin, Lee,
    Perez, Thompson, White, Harris, Sanchez, Clark, Ramirez, Lewis, Robinson, Walker, Young,
    Allen, King, Wright, Scott, Torres, Nguyen, Hill, Flores, Green, Adams, Nelson, Baker, Hall,
    Rivera, Campbell, Mitchell, Carter, Roberts, O'Brien, Van der Berg, St. John, Müller,
    Yazzie, Phillips, Evans, Turner, Parker, Collins, Edwards, Stewart, Morris, Murphy, Cook,
    Rogers, Morgan, Peterson, Cooper, Reed, Bailey, Bell, Gomez, Kelly, Howard, Ward, Cox, Diaz,
    Richardson, Wood, Watson, Brooks, Bennett, Gray, James, Reyes, Cruz, Hughes, Price, Myers,
    Long, Foster, Sanders, Ross, Morales, Powell, Sullivan, Russell, Ortiz, Jenkins, Gutierrez,
    Perry, Butler, Barnes, Fisher, Henderson, Coleman, Simmons, Patterson, Jordan, Reynolds,
    Hamilton, Graham, Kim, Gonzales, Alexander, Ramos, Wallace, Griffin, West, Cole, Hayes,
    Chavez, Gibson, Bryant, Ellis, Stevens, Murray, Ford, Marshall, Owens, McDonald, Harrison,
    Ruiz, Kennedy, Wells, Alvarez, Woods, Mendoza, Castillo, Olson, Webb, Washington, Tucker,
    Freeman, Burns, Henry, Vasquez, Snyder, Simpson, Crawford, Jimenez, Porter, Mason, Shaw,
    Gordon, Wagner, Hunter, Romero, Hicks, Dixon, Hunt, Palmer, Robertson, Black, Holmes, Stone,
    Meyer, Boyd, Mills, Warren, Fox, Rose, Rice, Moreno, Schmidt, Patel, Ferguson, Nichols,
    Herrera, Medina, Ryan, Fernandez, Weaver, Daniels, Stephens, Gardner, Payne, Kelley, Dunn,
    Pierce, Arnold, Tran, Spencer, Peters, Hawkins, Grant, Hansen, Castro, Hoffman, Hart,
    Elliott, Cunningham, Knight, Bradley
    """
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
