"""The job titles the cooperative lists from day one.

Kept as Python data (not a fixture file) so the catalog ships with the code that reads it and
`seed_catalog` can bring any database up to date by re-running. A title's `slug` is its identity:
the stable id is derived from it, so never rename a slug; change the `name` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CRITERIA: tuple[str, ...] = ("quality", "punctuality", "communication", "value")

CATEGORIES: dict[str, str] = {
    "home": "Home and repairs",
    "cleaning": "Cleaning",
    "outdoor": "Garden and outdoor",
    "moving": "Moving and errands",
    "pets": "Pets",
    "wellness": "Health and wellness",
    "beauty": "Beauty and style",
    "lessons": "Lessons and tutoring",
    "events": "Events and entertainment",
    "creative": "Creative and media",
    "auto": "Auto and bikes",
    "tech": "Computers and web",
    "care": "Family care",
    "business": "Business services",
}


@dataclass(frozen=True)
class CatalogEntry:
    slug: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    criteria: tuple[str, ...] = DEFAULT_CRITERIA


_HANDS_ON = ("workmanship", "punctuality", "communication", "value")
_CLEANING = ("thoroughness", "punctuality", "communication", "value")
_PET_CARE = ("care_for_animals", "reliability", "communication", "value")
_TEACHING = ("knowledge", "patience", "communication", "value")
_BODYWORK = ("technique", "professionalism", "punctuality", "value")
_CREATIVE = ("creativity", "quality", "communication", "value")
_PERFORMER = ("entertainment", "professionalism", "punctuality", "value")
_CARE = ("trustworthiness", "reliability", "communication", "value")

ENTRIES: tuple[CatalogEntry, ...] = (
    # Home and repairs
    CatalogEntry("handyman", "Handyman", "home",
                 ("handyperson", "odd jobs", "home repair"), _HANDS_ON),
    CatalogEntry("house-painter", "House painter", "home",
                 ("painter", "interior painter", "exterior painter", "painting contractor"),
                 _HANDS_ON),
    CatalogEntry("plumber", "Plumber", "home", ("plumbing", "drain cleaning"), _HANDS_ON),
    CatalogEntry("electrician", "Electrician", "home",
                 ("electrical contractor", "electrical repair"), _HANDS_ON),
    CatalogEntry("carpenter", "Carpenter", "home",
                 ("woodworker", "finish carpenter", "cabinet maker"), _HANDS_ON),
    CatalogEntry("locksmith", "Locksmith", "home", ("lock repair", "lockout service"),
                 _HANDS_ON),
    CatalogEntry("appliance-repair-technician", "Appliance repair technician", "home",
                 ("appliance repair", "washer repair", "refrigerator repair"), _HANDS_ON),
    CatalogEntry("hvac-technician", "HVAC technician", "home",
                 ("heating technician", "air conditioning repair", "furnace repair"),
                 _HANDS_ON),
    CatalogEntry("flooring-installer", "Flooring installer", "home",
                 ("floor installer", "tile setter", "hardwood floor installer"), _HANDS_ON),
    CatalogEntry("furniture-assembler", "Furniture assembler", "home",
                 ("furniture assembly", "flat pack assembly", "ikea assembly"), _HANDS_ON),
    CatalogEntry("interior-designer", "Interior designer", "home",
                 ("interior decorator", "home stager"), _CREATIVE),
    # Cleaning
    CatalogEntry("house-cleaner", "House cleaner", "cleaning",
                 ("housekeeper", "maid", "home cleaner", "cleaning lady"), _CLEANING),
    CatalogEntry("carpet-cleaner", "Carpet cleaner", "cleaning",
                 ("rug cleaning", "upholstery cleaner"), _CLEANING),
    CatalogEntry("window-cleaner", "Window cleaner", "cleaning",
                 ("window washer", "glass cleaning"), _CLEANING),
    CatalogEntry("office-cleaner", "Office cleaner", "cleaning",
                 ("janitor", "commercial cleaner", "custodian"), _CLEANING),
    CatalogEntry("organizer", "Professional organizer", "cleaning",
                 ("home organizer", "declutterer", "closet organizer"), _CLEANING),
    # Garden and outdoor
    CatalogEntry("gardener", "Gardener", "outdoor",
                 ("garden maintenance", "yard work", "landscaper"), _HANDS_ON),
    CatalogEntry("lawn-mower", "Lawn care specialist", "outdoor",
                 ("lawn mowing", "grass cutting", "lawn care"), _HANDS_ON),
    CatalogEntry("tree-trimmer", "Tree trimmer", "outdoor",
                 ("arborist", "tree surgeon", "tree removal"), _HANDS_ON),
    CatalogEntry("pool-cleaner", "Pool cleaner", "outdoor",
                 ("pool maintenance", "pool service"), _CLEANING),
    CatalogEntry("snow-remover", "Snow removal", "outdoor",
                 ("snow plowing", "snow shoveling"), _HANDS_ON),
    # Moving and errands
    CatalogEntry("mover", "Mover", "moving",
                 ("moving helper", "movers", "moving company"), _HANDS_ON),
    CatalogEntry("junk-hauler", "Junk hauler", "moving",
                 ("junk removal", "hauling", "debris removal"), _HANDS_ON),
    CatalogEntry("courier", "Courier", "moving",
                 ("delivery driver", "errand runner", "messenger"), _HANDS_ON),
    CatalogEntry("personal-assistant", "Personal assistant", "moving",
                 ("errand service", "concierge"), DEFAULT_CRITERIA),
    # Pets
    CatalogEntry("dog-walker", "Dog walker", "pets",
                 ("dog walking", "pet walker"), _PET_CARE),
    CatalogEntry("pet-sitter", "Pet sitter", "pets",
                 ("cat sitter", "pet sitting", "dog sitter"), _PET_CARE),
    CatalogEntry("dog-groomer", "Dog groomer", "pets",
                 ("pet groomer", "dog grooming", "pet grooming"), _PET_CARE),
    CatalogEntry("dog-trainer", "Dog trainer", "pets",
                 ("obedience trainer", "puppy training", "pet trainer"), _TEACHING),
    # Health and wellness
    CatalogEntry("massage-therapist", "Massage therapist", "wellness",
                 ("masseuse", "masseur", "massage", "licensed massage therapist", "lmt"),
                 _BODYWORK),
    CatalogEntry("personal-trainer", "Personal trainer", "wellness",
                 ("fitness trainer", "fitness coach", "gym trainer"), _TEACHING),
    CatalogEntry("yoga-instructor", "Yoga instructor", "wellness",
                 ("yoga teacher", "yoga"), _TEACHING),
    CatalogEntry("pilates-instructor", "Pilates instructor", "wellness",
                 ("pilates teacher", "pilates"), _TEACHING),
    CatalogEntry("acupuncturist", "Acupuncturist", "wellness",
                 ("acupuncture",), _BODYWORK),
    CatalogEntry("chiropractor", "Chiropractor", "wellness",
                 ("chiropractic", "chiro"), _BODYWORK),
    CatalogEntry("nutritionist", "Nutritionist", "wellness",
                 ("dietitian", "nutrition coach"), _TEACHING),
    CatalogEntry("life-coach", "Life coach", "wellness",
                 ("coach", "wellness coach"), DEFAULT_CRITERIA),
    CatalogEntry("counselor", "Counselor", "wellness",
                 ("therapist", "psychotherapist", "counsellor"), DEFAULT_CRITERIA),
    # Beauty and style
    CatalogEntry("hair-stylist", "Hair stylist", "beauty",
                 ("hairdresser", "haircut", "barber", "hair salon"), _BODYWORK),
    CatalogEntry("makeup-artist", "Makeup artist", "beauty",
                 ("make-up artist", "mua", "bridal makeup"), _CREATIVE),
    CatalogEntry("nail-technician", "Nail technician", "beauty",
                 ("manicurist", "pedicurist", "nail artist"), _BODYWORK),
    CatalogEntry("esthetician", "Esthetician", "beauty",
                 ("aesthetician", "facialist", "skin care specialist"), _BODYWORK),
    CatalogEntry("personal-stylist", "Personal stylist", "beauty",
                 ("fashion stylist", "wardrobe consultant", "image consultant"), _CREATIVE),
    # Lessons and tutoring
    CatalogEntry("tutor", "Tutor", "lessons",
                 ("private tutor", "homework help", "math tutor", "test prep"), _TEACHING),
    CatalogEntry("music-teacher", "Music teacher", "lessons",
                 ("piano teacher", "guitar teacher", "music lessons", "voice coach"),
                 _TEACHING),
    CatalogEntry("language-teacher", "Language teacher", "lessons",
                 ("language tutor", "spanish teacher", "esl teacher"), _TEACHING),
    CatalogEntry("swim-instructor", "Swim instructor", "lessons",
                 ("swimming teacher", "swim coach", "swim lessons"), _TEACHING),
    CatalogEntry("driving-instructor", "Driving instructor", "lessons",
                 ("driving teacher", "driving lessons", "driving school"), _TEACHING),
    CatalogEntry("art-teacher", "Art teacher", "lessons",
                 ("drawing teacher", "painting lessons", "art lessons"), _TEACHING),
    CatalogEntry("dance-instructor", "Dance instructor", "lessons",
                 ("dance teacher", "dance lessons"), _TEACHING),
    # Events and entertainment
    CatalogEntry("magician", "Magician", "events",
                 ("illusionist", "magic show", "conjurer"), _PERFORMER),
    CatalogEntry("dj", "DJ", "events",
                 ("disc jockey", "wedding dj", "party dj"), _PERFORMER),
    CatalogEntry("event-planner", "Event planner", "events",
                 ("party planner", "wedding planner", "event coordinator"), DEFAULT_CRITERIA),
    CatalogEntry("caterer", "Caterer", "events",
                 ("catering", "event catering"), ("food_quality", "punctuality",
                                                  "communication", "value")),
    CatalogEntry("personal-chef", "Personal chef", "events",
                 ("private chef", "cook", "meal prep"), ("food_quality", "punctuality",
                                                         "communication", "value")),
    CatalogEntry("bartender", "Bartender", "events",
                 ("mixologist", "event bartender"), _PERFORMER),
    CatalogEntry("musician", "Musician", "events",
                 ("live musician", "wedding band", "singer"), _PERFORMER),
    CatalogEntry("face-painter", "Face painter", "events",
                 ("face painting", "balloon artist"), _PERFORMER),
    CatalogEntry("florist", "Florist", "events",
                 ("flower arranger", "floral designer", "wedding flowers"), _CREATIVE),
    # Creative and media
    CatalogEntry("photographer", "Photographer", "creative",
                 ("wedding photographer", "portrait photographer", "photography"),
                 _CREATIVE),
    CatalogEntry("videographer", "Videographer", "creative",
                 ("video production", "wedding videographer", "filmmaker"), _CREATIVE),
    CatalogEntry("graphic-designer", "Graphic designer", "creative",
                 ("logo designer", "graphic design", "illustrator"), _CREATIVE),
    CatalogEntry("writer", "Writer", "creative",
                 ("copywriter", "editor", "proofreader"), _CREATIVE),
    CatalogEntry("tailor", "Tailor", "creative",
                 ("seamstress", "alterations", "dressmaker"), _HANDS_ON),
    # Auto and bikes
    CatalogEntry("mechanic", "Mechanic", "auto",
                 ("auto mechanic", "car mechanic", "car repair", "mobile mechanic"),
                 ("workmanship", "honesty", "punctuality", "value")),
    CatalogEntry("car-detailer", "Car detailer", "auto",
                 ("auto detailing", "car wash", "mobile detailing"), _CLEANING),
    CatalogEntry("bike-mechanic", "Bike mechanic", "auto",
                 ("bicycle repair", "bike repair", "cycle mechanic"),
                 ("workmanship", "honesty", "punctuality", "value")),
    # Computers and web
    CatalogEntry("web-developer", "Web developer", "tech",
                 ("website developer", "web designer", "wordpress developer", "programmer"),
                 ("quality", "deadlines", "communication", "value")),
    CatalogEntry("computer-technician", "Computer technician", "tech",
                 ("computer repair", "it support", "tech support", "pc repair"), _HANDS_ON),
    CatalogEntry("phone-repair-technician", "Phone repair technician", "tech",
                 ("cell phone repair", "screen repair", "iphone repair"), _HANDS_ON),
    CatalogEntry("smart-home-installer", "Smart home installer", "tech",
                 ("home theater installer", "tv mounting", "av installer"), _HANDS_ON),
    # Family care
    CatalogEntry("babysitter", "Babysitter", "care",
                 ("nanny", "child care", "childcare provider"), _CARE),
    CatalogEntry("senior-caregiver", "Senior caregiver", "care",
                 ("elder care", "home health aide", "companion care"), _CARE),
    CatalogEntry("house-sitter", "House sitter", "care",
                 ("home sitter", "house sitting"), _CARE),
    # Business services
    CatalogEntry("bookkeeper", "Bookkeeper", "business",
                 ("bookkeeping", "accounting clerk"), ("accuracy", "deadlines",
                                                       "communication", "value")),
    CatalogEntry("tax-preparer", "Tax preparer", "business",
                 ("tax preparation", "tax return", "tax advisor"), ("accuracy", "deadlines",
                                                                   "communication", "value")),
    CatalogEntry("notary", "Notary public", "business",
                 ("mobile notary", "notary signing agent"), DEFAULT_CRITERIA),
    CatalogEntry("translator", "Translator", "business",
                 ("interpreter", "translation services"), ("accuracy", "deadlines",
                                                           "communication", "value")),
)
