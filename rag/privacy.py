"""Patient-identifier (PHI) detection and redaction for questions, before anything leaves the process or is written.

Covers the 18 identifier kinds of the HIPAA Safe Harbor method (45 CFR 164.514(b)(2)); ``KINDS`` maps each label to
its category. Detection is deterministic: regular expressions for structured identifiers, labelled values ("MRN
12345", "member ID ..."), and context rules plus name lists for names and places. Pure functions, no IO, no model.

What is kept on purpose (clinical meaning): doses and quantities ("500 mg", "50000IU", "30 mL/kg"), blood
pressures ("130/80"), lab values (also five-digit ones: "WBC 12500", "BNP 35100", "10000 steps", round thousands,
ranges), ages up to 89, years on their own ("since 2019"), and a month on its own ("in January"). ZIP codes and
ZIP+4 are redacted wherever they stand, not only after a state or a cue ("John from 62704 asks ..."), as are licence
plates after "plate"/"tag" ("the plate on his truck reads 8xyz441"), VINs, Medicare beneficiary identifiers and
device serials in context. What is replaced: every span found, by ``[KIND]`` (ages over 89 by ``[AGE 90+]``, the
aggregation Safe Harbor allows).

Known limits (measured by ``bench/phi_bench.py`` on ``tests/data/phi_questions.jsonl`` and the prose set
``tests/data/phi_prose.jsonl``; ``--zip-stress`` shows the five-digit counts of biomedical prose that the ZIP rule
still takes, such as "13051 rotavirus-positive samples"): a name that is in none of the name lists, written in lower or
upper case, after a weak cue only ("patient xiomara ..."), is missed; a first name that is also an English word
("Will", "Grace") is taken only when capitalised next to a surname. Redaction is applied to the question only;
guideline passages are never redacted (they are not patient data, and redacting their numbers changes them).

``redact(text) -> (text, n)`` is the old interface; ``redact_text(text)`` returns a ``Redaction`` with the kinds
found, so a caller (the UI, the audit log) can say that something was redacted without repeating what.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# label -> HIPAA Safe Harbor category (the letter of 164.514(b)(2)(i))
KINDS: dict[str, str] = {
    "NAME": "(A) names",
    "LOCATION": "(B) geographic subdivisions smaller than a state (street address, city, county, ZIP code)",
    "DATE": "(C) elements of dates, except year, directly related to an individual",
    "AGE": "(C) ages over 89",
    "PHONE": "(D) telephone numbers",
    "FAX": "(E) fax numbers",
    "EMAIL": "(F) e-mail addresses",
    "SSN": "(G) social security numbers",
    "MRN": "(H) medical record numbers",
    "HEALTH_PLAN": "(I) health plan beneficiary numbers",
    "ACCOUNT": "(J) account numbers",
    "LICENSE": "(K) certificate and licence numbers",
    "VEHICLE": "(L) vehicle identifiers and serial numbers, including licence plates",
    "DEVICE": "(M) device identifiers and serial numbers",
    "URL": "(N) web addresses (URLs)",
    "IP": "(O) IP addresses",
    "BIOMETRIC": "(P) biometric identifiers, including finger and voice prints",
    "PHOTO": "(Q) full-face photographs and comparable images",
    "ID": "(R) any other unique identifying number, characteristic or code",
}

# ----------------------------------------------------------------------------------------------- lexicon
# Common US first names and surnames, written for this project from the public-domain census name-frequency
# rankings (Social Security given names; 2010 census surnames). Names that are also common words are listed in
# _WORDLIKE: they count only when capitalised in mixed-case text and next to another name.
FIRST_NAMES = frozenset("""
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony donald
steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary nicholas
eric jonathan stephen larry justin scott brandon benjamin samuel gregory alexander patrick jack dennis jerry
tyler aaron jose adam nathan henry zachary douglas peter kyle noah ethan jeremy walter christian keith roger
terry austin sean gerald carl harold dylan arthur lawrence jordan jesse bryan billy bruce gabriel joe logan
alan juan albert willie elijah wayne randy vincent mason roy ralph bobby russell bradley philip eugene louis
harry howard fred johnny clarence ernest martin craig stanley shawn travis liam lucas oliver aiden jayden
carlos luis jorge miguel pedro diego manuel francisco ricardo alejandro javier fernando rafael eduardo
antonio mohammed muhammad ahmed ali omar hassan ibrahim yusuf mustafa raj rahul amit arjun vikram sanjay
wei jian hiroshi kenji takeshi minh tuan duc hyun jin sung kwame kofi chidi emeka oluwaseun tunde
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra
ashley kimberly emily donna michelle carol amanda melissa deborah stephanie rebecca sharon laura cynthia
kathleen amy angela shirley anna brenda pamela emma nicole helen samantha katherine christine debra rachel
carolyn janet catherine maria heather diane ruth julie olivia joyce virginia victoria kelly lauren christina
joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn
janice jean abigail alice judy sophia denise beverly danielle theresa marilyn diana natalie brittany
charlotte marie kayla alexis lori isabella ava mia harper ella chloe zoe aria layla nora riley camila
elena sofia lucia valentina gabriela ana carmen rosa guadalupe juana veronica adriana alejandra mariana
daniela paula fatima aisha mariam zainab priya ananya deepika sunita anjali meera mei ling yan xiu
yuki aiko sakura keiko thi linh hoa jiwoo minji seo ngozi amara chioma adaeze fiona siobhan aoife
margaret dorothy mildred agnes edna ethel gladys irene lois louise marjorie norma phyllis thelma wanda
xavier yolanda yvonne zachariah
""".split())

SURNAMES = frozenset("""
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis
robinson walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera
campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart
morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim
cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo
sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell coleman butler
henderson barnes gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds
griffin wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford
castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman
webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon
munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice
schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn kelley spencer
hawkins arnold pierce vazquez hansen peters santos hart bradley knight elliott cunningham duncan armstrong
hudson carroll lane riley andrews alvarado ray delgado berry perkins hoffman johnston matthews pena
richards contreras willis carpenter lawrence sandoval guerrero george chapman rios estrada ortega watkins
greene nunez wheeler valdez harper burke larson santiago maldonado morrison franklin carlson austin dominguez
carr lawson jacobs obrien lynch singh vega bishop montgomery oliver jensen harvey williamson gilbert dean
sims espinoza howell li wong reid hanson le mccoy garrett burton fuller wang weber welch rojas lucas marquez
fields park yang little banks padilla day walsh bowman schultz luna fowler mejia davidson acosta brewer may
holland juarez newman pearson curtis cortez douglas schneider joseph barrett navarro figueroa keller avila
wade molina stanley hopkins campos barnett bates chambers caldwell beck lambert miranda byrd craig ayala
lowe frazier powers neal leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings
watts duran walters cohen mcdaniel moran parks steele vaughn becker holt deleon barker terry hale leon hail
benson haynes horton miles lyons pham graves bush thornton wolfe warner cabrera mckinney mann zimmerman
dawson lara fletcher page mccarthy love robles cervantes solis erickson reeves chang klein salinas fuentes
baldwin daniel simon velasquez hardy higgins aguirre lin cummings chandler sharp barber bowen ochoa dennis
robbins liu ramsey francis griffith paul blair oconnor cardenas pacheco cross calderon quinn moss swanson
chan rivas khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry mclaughlin
harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady goodman roman webster
goodwin fischer huang potter delacruz montoya todd wu hines mullins castaneda malone cannon tate mack
sherman hubbard hodges zhang guerra wolf valencia saunders franco rowe gallagher farmer hammond hampton
townsend ingram wise gallegos clarke barton schroeder maxwell waters logan camacho strickland norman person
colon parsons frank harrington glover osborne buchanan casey floyd patton ibarra ball tyler suarez bowers
orozco salas cobb gibbs andrade bauer conner moody escobar mcguire lloyd mueller hartman french kramer
mcbride pope lindsey velazquez norton mccormick sparks flynn yates hogan marsh macias villanueva zamora
pratt stokes owen ballard lang brock villarreal charles drake barrera cain patrick pineda burnett mercado
santana shepherd bautista ali shaffer lamb trevino mckenzie hess beil olsen cochran morton nash wilkins
petersen briggs shah roth nicholson holloway lozano rangel flowers hoover short arias mora valenzuela bryan
meyers weiss underwood bass greer summers houston carson morrow clayton whitaker decker yoder collier
zuniga carey wilcox melendez poole roberson larsen conley davenport copeland massey lam huff rocha cameron
jefferson hood monroe anthony pittman huynh randall singleton kirk combs mathis christian skinner bradford
richard galvan wall boone kirby wilkinson bridges bruce atkinson velez meza roy vincent york hodge villa
abbott allison tapia gates chase sosa sweeney farrell wyatt dalton horn barron phelps yu dickerson heath
foley atkins mathews bonilla acevedo benitez zavala hensley glenn cisneros harrell shields rubio choi
huffman boyer garrison arroyo bond kane hancock callahan dillon cline wiggins grimes arellano melton
oneill savage ho beltran pitts parrish ponce rich booth koch golden ware brennan mcdowell marks cantu
humphrey baxter sawyer clay tanner hutchinson kaur berg wiley gilmore russo villegas hobbs keith wilkerson
ahmed beard mcclain montes mata rosario vang walter henson oneal mosley mcclure beasley stephenson snow
huerta preston vance barry johns eaton blackwell dyer prince macdonald solomon guevara stafford english
hurst woodard cortes shannon kemp nolan mccullough merritt murillo moon salgado strong kline cordova barajas
roach rosas winters jacobson lester knox bullock kerr leach meadows orr davila whitehead pruitt kent conway
mckee barr david dejesus marin berger mcintyre blankenship gaines palacios cuevas bartlett durham dorsey
mccall odonnell stein browning stout lowery sloan mclean hendricks calhoun sexton chung gentry hull duarte
ellison nielsen gillespie buck middleton sellers leblanc esparza hardin bradshaw mcintosh howe livingston
frost glass morse knapp herman stark bravo noble spears weeks corona frederick buckley mcfarland hebert
enriquez hickman quintero randolph schaefer walls trejo house reilly pennington michael conrad giles benjamin
crosby fitzpatrick donovan mays mahoney valentine raymond medrano hahn mcmillan small bentley felix peck
lucero boyle hanna pace rush hurley harding mcconnell bernal nava ayers everett ventura avery pugh mayer
bender shepard mcmahon landry case sampson moses magana blackburn dunlap gould duffy vaughan herring mckay
espinosa rivers farley bernard ashley friedman potts truong costa correa blevins nixon clements fry
delarosa best benton lugo portillo dougherty crane haley phan villalobos blanchard horne finley quintana
lynn esquivel bean dodson mullen xiong hayden cano levy huber richmond moyer lim frye sheppard mccarty
avalos booker waller parra woodward jaramillo krueger rasmussen brandt peralta donaldson stuart faulkner
maynard galindo coffey estes sanford burch maddox vo oconnell vu andersen spence mcpherson church schmitt
stanton leal cherry compton dudley sierra pollard alfaro hester proctor lu hinton novak good madden mccann
terrell jarvis dickson reyna cantrell mayo branch hendrix rollins rowland whitney duke odom daugherty travis
tang archer
okafor okonkwo adeyemi mensah osei nakamura tanaka suzuki watanabe yamamoto sato kobayashi takahashi
kowalski nowak novak petrov ivanov smirnov popescu papadopoulos rossi russo ferrari esposito bianchi
muller schmidt schneider fischer becker wagner hoffmann kowalczyk gupta sharma kumar reddy iyer nair
chowdhury rahman hussain malik qureshi mahmoud haddad nasser abdullah
""".split())

# first names and surnames that are also ordinary (or clinical) words
_WORDLIKE = frozenset("""
will bill mark grace hope may june april rose faith joy art sue pat dawn lily ruby amber summer autumn iris jade
crystal penny ivy daisy heather holly olive violet ray dean gene bob jack rich frank chase hunter guy drew carol
sandy don ken jean joyce harper riley page young king hill wood long rice cook baker gray black bell stone west
price hunt fox ford woods mills lane bush ward reed banks snow hall day love little short strong case law bond
cross sharp park white green brown wells house small good best church branch rush moss frost glass noble
english prince golden bass hood wolf summers winters rivers fields waters brooks parks flowers bishop mason
carter porter tanner miles grant ball gross hale hart field nash pace early rich joseph christian major duke
travis tate dye horn koch mack more moore poole pope cox lamb may power powers drake crane bean bond cherry
cannon hayes person english norman marsh lynch moon mark justice
""".split())

CITIES = frozenset("""
new york|los angeles|chicago|houston|phoenix|philadelphia|san antonio|san diego|dallas|san jose|austin|
jacksonville|fort worth|columbus|charlotte|san francisco|indianapolis|seattle|denver|washington|boston|
el paso|nashville|detroit|oklahoma city|portland|las vegas|memphis|louisville|baltimore|milwaukee|
albuquerque|tucson|fresno|sacramento|kansas city|mesa|atlanta|omaha|colorado springs|raleigh|long beach|
virginia beach|miami|oakland|minneapolis|tulsa|tampa|arlington|new orleans|wichita|cleveland|bakersfield|
aurora|anaheim|honolulu|santa ana|riverside|corpus christi|lexington|henderson|stockton|saint paul|
st. paul|st. louis|saint louis|cincinnati|pittsburgh|greensboro|anchorage|plano|lincoln|orlando|irvine|
newark|durham|chula vista|toledo|fort wayne|st. petersburg|laredo|jersey city|chandler|madison|lubbock|
scottsdale|reno|buffalo|gilbert|glendale|north las vegas|winston-salem|chesapeake|norfolk|fremont|
garland|irving|hialeah|richmond|boise|spokane|baton rouge|tacoma|san bernardino|modesto|fontana|
des moines|moreno valley|santa clarita|fayetteville|birmingham|oxnard|rochester|port st. lucie|
grand rapids|huntsville|salt lake city|frisco|yonkers|amarillo|glendale|huntington beach|mckinney|
montgomery|augusta|akron|little rock|tempe|columbia|overland park|grand prairie|tallahassee|cape coral|
knoxville|worcester|providence|brownsville|springfield|hartford|savannah|albany|syracuse|dayton|
ann arbor|burlington|concord|manchester|portsmouth|bridgeport|new haven|stamford|cambridge|somerville|
quincy|lowell|pasadena|berkeley|palo alto|boulder|fort collins|eugene|salem|olympia|bellevue|tacoma|
toronto|montreal|vancouver|calgary|ottawa|edmonton|winnipeg|london|paris|berlin|madrid|rome|dublin|
sydney|melbourne|mumbai|delhi|new delhi|bangalore|chennai|kolkata|lagos|nairobi|manila|tokyo|seoul|
beijing|shanghai|mexico city|guadalajara|monterrey|leeds|liverpool|glasgow|edinburgh|bristol|cardiff|
belfast|sheffield|nottingham|leicester|coventry
""".replace("\n", "").split("|"))

# cities whose names are ordinary words or eponyms: only taken after a place cue
_CITY_WORDLIKE = frozenset({"mobile", "reading", "orange", "buffalo", "normal", "independence", "phoenix", "aurora",
                            "concord", "columbia", "lincoln", "madison", "charlotte", "austin", "eugene", "henderson",
                            "chandler", "gilbert", "quincy", "richmond", "montgomery", "augusta", "salem", "durham",
                            "washington", "providence", "savannah", "mesa", "garland"})

US_STATES = frozenset("""
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia wisconsin wyoming
""".split()) | {"new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota",
                "rhode island", "south carolina", "south dakota", "west virginia", "district of columbia"}
_STATE_CODES = ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
                "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR").split()

# eponyms: a "name" followed by one of these is a disease, sign or score, not a person
_EPONYM_HEADS = (
    r"disease|syndrome|sign|signs|score|scale|criteria|criterion|test|palsy|fracture|cyst|lymphoma|sarcoma|ulcer|"
    r"tear|maneuver|manoeuvre|reflex|phenomenon|classification|rule|rules|equation|formula|method|procedure|"
    r"operation|triad|node|nodes|esophagus|oesophagus|index|grade|staging|stage|law|effect|disorder|"
    r"encephalopathy|anomaly|tumou?r|contracture|neuroma|neuralgia|block|line|lines|angle|point|space|"
    r"position|technique|protocol|questionnaire|inventory|tool|model|nomogram|catheter|tube|forceps|solution|"
    r"chromosome|translocation|grades|classification|virus|fever|"
    r"infection|infections|cancer|deficiency|carcinoma|dystrophy|dysplasia|atrophy|ataxia|an(?:a)?emia|congenital|"
    r"bypass|(?:(?-i:[A-Z][a-z]+\s+){0,2}|[a-z]+\s+)(?:rule|rules|score|scores|scale|criteria|classification|index)"
)
_HEAD_WORD = re.compile(rf"^(?:{_EPONYM_HEADS})$", re.I)
_EPONYM_AFTER = re.compile(rf"^(?:'s|’s|s')?\s*(?:-\s*\w+\s+)?(?:{_EPONYM_HEADS})\b", re.I)

# words that never start or continue a name
_NOT_NAME = frozenset("""
a an the and or but if of in on at to for from by with without about as into onto over under than then this
that these those there here is are was were be been being am has have had do does did done can could may might
must shall should will would not no nor yes who whom whose which what when where why how i me my mine we us our
you your he him his she her it its they them their one two three four five six seven eight nine ten also just
only very so too still already again now today tomorrow yesterday recently currently who's he's she's i'm
has had having wants needs asks asked says said told takes took taking gets got been came comes went goes
doctor dr nurse patient patients pt client mother father mom mum dad son daughter wife husband brother sister
baby child children kid kids boy girl man woman male female adult adults elderly infant newborn toddler
diagnosed presented presents presenting complains complaining reports reported admitted discharged seen
treated started starting taking on off with without history hx year years yo old aged age months weeks days
mg mcg ml kg g l iu units unit tablet tablets capsule capsules dose doses daily twice them themselves it
anything something someone anyone everyone nothing everything out up down all both each every some any none
""".split())

# ------------------------------------------------------------------------------------------------ helpers
_UNIT = (
    r"(?:mg|mcg|µg|ug|ng|g|gm|gram|grams|kg|lb|lbs|ml|mL|l|dl|dL|iu|IU|units?|u|meq|mEq|mmol|mol|mg/dl|mg/kg|"
    r"mmhg|mm\s?hg|cm|mm|m|%|percent|bpm|hours?|hrs?|h|days?|d|weeks?|wks?|months?|mos?|years?|yrs?|min|mins|minutes?|"
    r"tabs?|tablets?|caps?|capsules?|puffs?|drops?|sprays?|doses?|times|x|cells|copies|beats|breaths)\b"
)
_QUANTITY = re.compile(rf"^\d[\d,.]*\s*{_UNIT}", re.I)
_FOLLOWED_BY_UNIT = re.compile(rf"^\s*(?:-\s*\d[\d,.]*\s*)?{_UNIT}", re.I)


def _is_quantity(value: str, after: str) -> bool:
    """'50000IU', '500 mg', '20 tablets': a clinical amount, never an identifier."""
    return bool(_QUANTITY.match(value)) or (value.replace(",", "").replace(".", "").isdigit() and bool(_FOLLOWED_BY_UNIT.match(after)))


@dataclass(frozen=True)
class Finding:
    """One identifier: its kind (a key of ``KINDS``) and character offsets in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """The redacted text and what was found. Holds no identifier text, so it can be logged or shown."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({f.kind for f in self.findings}))

    def summary(self) -> dict[str, object]:
        """``{"redacted": bool, "count": n, "kinds": {kind: n}}``: what the UI shows and the audit log stores."""
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        return {"redacted": bool(self.findings), "count": len(self.findings), "kinds": dict(sorted(counts.items()))}

    def describe(self) -> str:
        """A sentence for the UI: 'Redacted before sending: 1 name, 1 date.' ('' when nothing was found)."""
        if not self.findings:
            return ""
        parts = [f"{n} {kind.lower().replace('_', ' ')}" for kind, n in self.summary()["kinds"].items()]  # type: ignore[union-attr]
        return "Redacted before sending: " + ", ".join(parts) + "."


def placeholder(kind: str) -> str:
    return "[AGE 90+]" if kind == "AGE" else f"[{kind}]"


def redact_text(text: str) -> Redaction:
    """Every identifier in ``text`` replaced by its placeholder, with the findings (offsets into ``text``)."""
    findings = find_identifiers(text)
    out, last = [], 0
    for f in findings:
        out.append(text[last : f.start])
        out.append(placeholder(f.kind))
        last = f.end
    out.append(text[last:])
    return Redaction("".join(out), findings)


def redact(text: str) -> tuple[str, int]:
    """Text with identifiers replaced by ``[NAME]``, ``[MRN]`` and so on, and the number of replacements."""
    result = redact_text(text)
    return result.text, result.count


def find_identifiers(text: str) -> tuple[Finding, ...]:
    """Non-overlapping findings in text order. Overlapping candidates are merged; the merged span takes the kind
    of its highest-priority part (a labelled value beats a generic number)."""
    candidates: list[tuple[int, int, str, int]] = []  # start, end, kind, priority
    informative_case = _informative_case(text)
    for finder in _FINDERS:
        for start, end, kind, priority in finder(text, informative_case):
            start, end = _trim(text, start, end)
            if end > start:
                candidates.append((start, end, kind, priority))
    candidates.sort(key=lambda c: (c[0], -c[1]))
    merged: list[list] = []
    for start, end, kind, priority in candidates:
        if merged and start < merged[-1][1]:
            top = merged[-1]
            if priority > top[3] or (priority == top[3] and end - start > top[1] - top[0]):
                top[2], top[3] = kind, priority
            top[1] = max(top[1], end)
        else:
            merged.append([start, end, kind, priority])
    return tuple(Finding(kind, start, end) for start, end, kind, _ in merged)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop surrounding spaces and punctuation, but keep a bracket that the span closes ('(617) 555-0100')."""
    while end > start and text[end - 1] in " \t\n.,;:!?)]}'\"":
        if text[end - 1] == "." and _abbrev_dot(text, start, end):
            break
        if text[end - 1] in ")]}" and "([{"[")]}".index(text[end - 1])] in text[start : end - 1]:
            break
        end -= 1
    while start < end and text[start] in " \t\n,;:([{'\"":
        if text[start] in "([{" and ")]}"["([{".index(text[start])] in text[start + 1 : end]:
            break
        start += 1
    return start, end


def _abbrev_dot(text: str, start: int, end: int) -> bool:
    """Keep the dot of 'Jr.', 'St.' or an initial at the end of a span."""
    word = re.search(r"(\w+)\.$", text[start:end])
    return bool(word) and (len(word.group(1)) == 1 or word.group(1).lower() in {"jr", "sr", "st", "ave", "rd", "blvd", "apt"})


def _informative_case(text: str) -> bool:
    """Whether capitalisation carries information: not when the message is all lower or all upper case."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters) / len(letters)
    return 0.02 < upper < 0.6


# ---------------------------------------------------------------------------------------- structured kinds
# bounded repeats and token-start lookbehinds keep these linear on long runs like 'a.a.a.a...' (2000+ characters)
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}(?:@|\s?[\[(]at[\])]\s?)[\w-]{1,63}(?:(?:\.|\s?[\[(]dot[\])]\s?)[\w-]{1,63}){1,6}\b", re.I
)
_URL = re.compile(
    r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"')\]]+"
    r"|(?<![\w.-])(?:[a-z0-9-]{1,63}\.){1,6}(?:com|org|net|edu|gov|io|info|biz|us|uk|ca|au|de|health|me|co|ly|app)\b"
    r"(?:/[^\s<>\"')\]]*)?",
    re.I,
)
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", re.I)
_MAC = re.compile(r"\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b", re.I)
_SSN = re.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]\d{4}(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w/-])"
    r"|(?<![\w/.-])\+(?:\d[\s.-]?){8,14}\d(?![\w/-])"
    r"|(?<![\w/.-])\(0\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}(?![\w/-])"
    r"|(?<![\w/.-])0\d{2,4}[\s.-]\d{3,4}[\s.-]\d{3,4}(?![\w/-])",
    re.I,
)
_FAX_CUE = re.compile(r"\bfax(?:ed|ing)?\b[^.\d\n]{0,30}$", re.I)  # 'fax the results to', 'fax: ')
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]{17}\b)(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b", re.I)
# Medicare Beneficiary Identifier: 11 characters in fixed classes (1EG4-TE5-MK73), dashes optional
_MBI = re.compile(r"(?<![\w-])[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}(?![\w-])", re.I)
_CARD = re.compile(r"(?<![\d-])\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}(?![\d-])")
_IMAGE_FILE = re.compile(r"(?<![\w.-])[\w-]{1,100}\.(?:jpe?g|png|heic|heif|gif|bmp|tiff?|webp)\b", re.I)
_PHOTO_PHRASE = re.compile(
    r"\b(?:full[- ]?face|frontal|facial|passport|profile|id)\s+(?:photo(?:graph)?s?|pictures?|pics?|images?|shots?)\b"
    r"|\b(?:photo(?:graph)?s?|pictures?|pics?|images?|snapshots?|videos?)\s+of\s+(?:my|his|her|their|the\s+patient'?s?|"
    r"the|our|your)\s+(?:\w+\s+)?(?:face|faces|head and shoulders)\b"
    r"|\b(?:selfies?|headshots?|mugshots?|mug shots?)\b",
    re.I,
)


# A licence plate after the word "plate" (or "tag" of a car), with up to five words between ("plate 7ABC123", "the
# plate on his truck reads 8xyz441"): four to eight letters and digits, at least one digit, in one or two groups.
_PLATE = re.compile(
    r"\b(?:plates?|(?:licen[cs]e|car|vehicle|registration|number)\s+tags?|tags?\s+(?:number|no\b\.?|#))(?![\w-])"
    r"(?:(?:\s+(?:number|no\.?|#|reads?|read|is|was|were|are|says|said|shows|of|on|it|his|her|their|my|our|the|a|car|truck|van|"
    r"vehicle|bike|motorcycle|suv|pickup|sedan|jeep)\b){0,5}"
    r"|(?:\s+[a-z'’]{1,12}){1,4}?\s+(?:reads?|is|was|says|said|shows|showed|number|no\.?|#)\b)\s*[:#]?\s*"
    r"(?<![\w-])(?P<value>(?=[A-Z0-9]*\d|[A-Z0-9]+[- ][A-Z0-9]*\d)[A-Z0-9]{1,4}(?:[- ]?[A-Z0-9]{1,5})?)(?![\w-])",
    re.I,
)


_PLATE_NOT_FIRST = frozenset({"near", "level", "zone", "area", "site", "size", "type", "grade", "fig", "see", "via"})


def _plates(text: str):
    for m in _PLATE.finditer(text):
        value = m.group("value")
        alnum = sum(c.isalnum() for c in value)
        if not 4 <= alnum <= 8 or _is_quantity(value, text[m.end() : m.end() + 14]):
            continue
        if value.isdigit() and alnum < 5 or _FOLLOWED_BY_UNIT.match(text[m.end() : m.end() + 14]):
            continue  # 'growth plate 2 mm', 'plate 1 of 3'
        first = re.split(r"[- ]", value)[0].lower()
        if " " in value and (first in _NOT_NAME or first in _PLATE_NOT_FIRST):
            continue  # 'plate at T12'
        yield m.start("value"), m.end("value"), "VEHICLE", 5


def _structured(text: str, _case: bool):
    yield from _plates(text)
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "EMAIL", 6
    for m in _URL.finditer(text):
        if "@" in text[max(0, m.start() - 1) : m.start() + 1] or _IMAGE_FILE.fullmatch(m.group()):
            continue
        yield m.start(), m.end(), "URL", 5
    for m in _IPV4.finditer(text):
        yield m.start(), m.end(), "IP", 6
    for m in _IPV6_CANDIDATE.finditer(text):
        candidate = m.group()
        if "::" in candidate or candidate.count(":") == 7:
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            yield m.start(), m.end(), "IP", 6
    for m in _MAC.finditer(text):
        yield m.start(), m.end(), "DEVICE", 5
    for m in _SSN.finditer(text):
        yield m.start(), m.end(), "SSN", 5
    for m in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if digits < 9 or _is_quantity(m.group(), text[m.end() : m.end() + 12]):
            continue
        kind = "FAX" if _FAX_CUE.search(text[max(0, m.start() - 30) : m.start()]) else "PHONE"
        yield m.start(), m.end(), kind, 4
    for m in _VIN.finditer(text):
        yield m.start(), m.end(), "VEHICLE", 3
    for m in _CARD.finditer(text):
        yield m.start(), m.end(), "ACCOUNT", 3
    for m in _MBI.finditer(text):
        yield m.start(), m.end(), "HEALTH_PLAN", 4
    for m in _IMAGE_FILE.finditer(text):
        yield m.start(), m.end(), "PHOTO", 5
    for m in _PHOTO_PHRASE.finditer(text):
        yield m.start(), m.end(), "PHOTO", 5


# ------------------------------------------------------------------------------------------ labelled values
# a cue word, then connectors ("number", "no.", "#", ":", "is"), then the value (must hold a digit)
_LABELS: list[tuple[str, str]] = [
    ("SSN", r"ssn|ss#|ss\s?no|social\s+security(?:\s+(?:number|no\.?|#|card))?|social\s+insurance\s+number|sin\s+(?:number|no)"),
    ("MRN", r"mrn|mr#|mr\s+no\.?|medical\s+record(?:\s+(?:number|no\.?|#))?|med(?:ical)?\s+rec(?:ord)?\.?\s*(?:number|no\.?|#)?|"
            r"record\s+(?:number|no\.?|#)|chart\s+(?:number|no\.?|#|id)|hospital\s+(?:number|no\.?|#|id)|"
            r"patient\s+(?:id|number|no\.?|#|identifier)|pt\.?\s+(?:id|#|no\.?)|nhs\s+(?:number|no\.?)|chi\s+number|"
            r"unit\s+number|encounter\s+(?:number|no\.?|id|#)|visit\s+(?:number|id|#)|accession\s+(?:number|no\.?|#)|"
            r"hospital\s+registration\s+number|emr\s+(?:id|number|#)|ehr\s+(?:id|number|#)|epic\s+(?:id|number|#)"),
    ("HEALTH_PLAN", r"member\s+(?:id|number|no\.?|#)|membership\s+(?:number|no\.?)|medicare(?:\s+(?:number|no\.?|id|#|card))?|"
                    r"medicaid(?:\s+(?:number|no\.?|id|#|card))?|mbi|hicn|insurance(?:\s+(?:id|number|no\.?|#|policy|card|member))+|"
                    r"policy\s+(?:number|no\.?|#|id)|health\s+plan(?:\s+(?:id|number|no\.?|#))?|beneficiary\s+(?:id|number|no\.?|#)|"
                    r"subscriber\s+(?:id|number|no\.?|#)|group\s+(?:number|no\.?|#)|plan\s+(?:id|number)|insurer\s+id|"
                    r"tricare(?:\s+(?:id|number))?|blue\s+cross(?:\s+(?:id|number))?"),
    ("ACCOUNT", r"(?:bank\s+|billing\s+|checking\s+|savings\s+|patient\s+)?account(?:\s+(?:number|no\.?|#|id))?|acct\.?(?:\s*(?:number|no\.?|#))?|"
                r"billing\s+(?:number|id|#)|invoice\s+(?:number|no\.?|#)|iban|routing\s+(?:number|no\.?)|"
                r"(?:credit|debit)\s+card(?:\s+(?:number|no\.?|#))?|card\s+(?:number|no\.?|#)"),
    ("LICENSE", r"driver'?s?\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|driving\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|"
                r"(?:medical\s+|nursing\s+|professional\s+|state\s+)?licen[cs]e(?:\s+(?:number|no\.?|#|id))?|dea(?:\s+(?:number|no\.?|#|registration))?|"
                r"npi(?:\s+(?:number|no\.?|#))?|certificate(?:\s+(?:number|no\.?|#|id))?|certification\s+(?:number|no\.?|#)|"
                r"permit\s+(?:number|no\.?|#)|board\s+(?:number|certification\s+number)|registration\s+(?:number|no\.?)"),
    ("VEHICLE", r"vin|vehicle\s+identification(?:\s+number)?|vehicle\s+(?:id|number|reg(?:istration)?)|"
                r"(?:licen[cs]e\s+|number\s+|registration\s+|car\s+|vehicle\s+)plates?(?:\s+(?:number|no\.?|#))?|"
                r"plates?\s+(?:number|no\.?|#|reads|is)|tag\s+(?:number|no\.?|#)|car\s+registration|registration\s+plate"),
    ("DEVICE", r"serial(?:\s+(?:number|no\.?|#|id))?|s/n|sn|device\s+(?:id|identifier|number|serial|no\.?)|udi(?:-di)?|"
               r"imei|meid|(?:pacemaker|defibrillator|icd|implant|pump|cgm|monitor|sensor|transmitter)\s+(?:id|serial|number|#)|"
               r"lot\s+(?:number|no\.?|#)|model/serial|mac\s+address|bluetooth\s+id"),
    ("BIOMETRIC", r"finger\s?prints?(?:\s+(?:id|hash|template|code|record|scan|number|no\.?))?|thumb\s?prints?|"
                  r"retina(?:l)?\s+scans?(?:\s+(?:id|hash|template|code))?|iris\s+(?:scans?|templates?|codes?)(?:\s+(?:id|hash|code))?|"
                  r"voice\s?prints?(?:\s+(?:id|hash|template))?|palm\s?prints?(?:\s+(?:id|hash))?|"
                  r"dna\s+(?:profile|sample|fingerprint|id)(?:\s+(?:id|number|no\.?|#))?|face\s?(?:id|print|template)|"
                  r"facial\s+(?:recognition|geometry)(?:\s+(?:id|template|hash))?|biometric\s*(?:id|template|hash|record|identifier)?|"
                  r"gait\s+(?:signature|profile)(?:\s+id)?"),
    ("PHONE", r"phone|telephone|tel\.?|cell(?:\s+phone)?|mobile|cellphone|pager|beeper|contact\s+(?:number|no\.?)|"
              r"call\s+(?:me\s+|him\s+|her\s+|us\s+)?(?:at|on)|text\s+(?:me\s+)?(?:at|on)|whatsapp"),
    ("FAX", r"fax"),
    ("ID", r"(?:employee|student|staff|member|national|tax|passport|military|service|veteran|va|prisoner|inmate|"
           r"case|claim|reference|ref|booking|confirmation|order|ticket|badge|customer|client|resident|study|subject|"
           r"participant|enrolment|enrollment|registration|id\s+card)\s*(?:id|number|no\.?|#|code)?|passport|"
           r"id|identifier|ein|itin|tin|ssn\s+ending|identification(?:\s+number)?"),
]
_CONNECTOR = r"(?:\s*(?:number|num|nbr|no\.?|#|id|code|:|=|is|was|of|reads|ending(?:\s+in)?|last\s+(?:four|4)(?:\s+digits)?|-)\s*|\s+)"
_VALUE = r"(?:[A-Za-z]{1,4}[\s-])?[A-Za-z0-9]*\d[A-Za-z0-9]*(?:[-./:][A-Za-z0-9]+)*(?:\s\d[A-Za-z0-9-]*){0,3}"
_LABEL_RES = [
    (kind, re.compile(rf"\b(?:{cue})(?:{_CONNECTOR})+?(?P<value>{_VALUE})", re.I))
    for kind, cue in _LABELS
]
_VALUE_STOP = frozenset({"is", "was", "no", "of", "on", "at", "in", "the", "and", "or", "for", "to", "a", "an", "number", "id"})


def _labelled(text: str, _case: bool):
    for kind, pattern in _LABEL_RES:
        for m in pattern.finditer(text):
            start, end = m.start("value"), m.end("value")
            value = m.group("value")
            lead = re.match(r"([A-Za-z]{1,4})[\s-]", value)
            if lead and lead.group(1).lower() in _VALUE_STOP:
                start += lead.end()
                value = text[start:end]
            if not value or not any(c.isdigit() for c in value):
                continue
            digits = sum(c.isdigit() for c in value)
            after = text[end : end + 12]
            if _is_quantity(value, after) or digits < 3 and kind != "VEHICLE":
                continue
            if kind == "ID" and digits < 4 and not re.search(r"[A-Za-z]", value):
                continue
            # a plain number after a cue like 'ID' that is really a dose or a count stays
            yield start, end, kind, 7


# ------------------------------------------------------------------------------------------------- dates
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DATE_RES = [
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:\s*[-–]\s*{_DAY})?(?:,?\s+{_YEAR}|,?\s+'\d\d)?(?![\d:])", re.I),  # March 3(, 2021)
    re.compile(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?\b", re.I),  # 3 March 2021, 3rd of March
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I),  # March 2021
    re.compile(rf"\b{_YEAR}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b"),  # 2021-03-04
    re.compile(r"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|[12]\d|3[01])/(?:\d{4}|\d{2})(?![\d/])"),  # 3/4/21
    re.compile(r"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])([.-])(?:0?[1-9]|[12]\d|3[01])\1(?:19|20)\d\d(?![\d.-]*\d)"),  # 03-04-2021
]
_DATE_CUE = (r"(?:on|since|from|until|till|dated|born|dob|d\.o\.b\.?|date\s+of\s+birth|birthday|admitted|admission|"
             r"discharged|discharge|seen|visit|appointment|appt|surgery|operated|procedure|delivered|died|death|"
             r"last|next|started|stopped|due|scheduled|injured|vaccinated)")
_SHORT_DATE = re.compile(
    rf"\b{_DATE_CUE}\b[:\s]*(?:(?:on|in|the|was|is)\s+)?(?P<d>(?:0?[1-9]|1[0-2])[/-](?:0?[1-9]|[12]\d|3[01]))(?![\d/.-])"
    r"(?!\s+of\b)",
    re.I,
)
_MONTH_ONLY = re.compile(rf"\b(?:born|dob|birthday|birth)\b[:\s]*(?:(?:in|on|was|is)\s+)*(?P<d>{_MONTH})(?!\s*\d)", re.I)
_AMBIGUOUS_MONTH = re.compile(r"^(?:may|mar|march|jan|jun|dec|sep|oct|nov|aug|apr|feb|jul)\.?$", re.I)

_AGE_NUMBER = r"(?:9\d|1[0-2]\d)"
_AGE_WORD = (r"(?:ninety(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|one\s+hundred(?:\s+and\s+\w+)?|"
             r"a\s+hundred|hundred)")
_AGE_RES = [
    re.compile(rf"\b(?:{_AGE_NUMBER}|{_AGE_WORD})(?:\s*|-)(?:years?|yrs?|y)(?:\s*|-)(?:old|of\s+age)\b", re.I),
    re.compile(rf"\b{_AGE_NUMBER}\s*(?:yo|y/o|y\.o\.?|yr\.?\s*old|yrs?)\b", re.I),
    re.compile(rf"\b(?:aged?|age:|age\s+is|age\s+of|turned|turning|who\s+is)\s*{_AGE_NUMBER}(?!\s*(?:%|{_UNIT}))\b", re.I),
    re.compile(rf"\b{_AGE_NUMBER}(?:st|nd|rd|th)\s+birthday\b", re.I),
    re.compile(rf"\b(?:i\s+am|i'm|im|he\s+is|she\s+is|he's|she's|they\s+are|is\s+now)\s+{_AGE_NUMBER}\b(?!\s*(?:%|{_UNIT}|/))", re.I),
    re.compile(rf"\b{_AGE_NUMBER}\s*(?:-|\s)?(?:year|yr)(?:s)?(?:\s*|-)old\b", re.I),
]


_TRAILING_YEAR = re.compile(r"(?:,?\s+|[-/.])(\d{4})$")
_LEADING_YEAR = re.compile(r"^(\d{4})[-/.]")
_BIRTH_YEAR = re.compile(r"\b(?:born(?:\s+in)?|dob|d\.o\.b\.?|date\s+of\s+birth|year\s+of\s+birth|yob)\s*:?\s*(?P<y>1[89]\d\d)\b", re.I)


def _old_year(year: int) -> bool:
    """A year of birth or event that shows an age over 89 (Safe Harbor: such years are redacted too)."""
    return year <= date.today().year - 90


def _without_year(start: int, end: int, value: str) -> tuple[int, int]:
    """Safe Harbor keeps the year: '[DATE] 2021' rather than '[DATE]', unless the year shows an age over 89."""
    trailing = _TRAILING_YEAR.search(value)
    if trailing and not _old_year(int(trailing.group(1))):
        return start, start + trailing.start()
    leading = _LEADING_YEAR.match(value)
    if leading and not _old_year(int(leading.group(1))):
        return start + leading.end(), end
    return start, end


def _dates(text: str, _case: bool):
    for m in _BIRTH_YEAR.finditer(text):
        if _old_year(int(m.group("y"))):
            yield m.start("y"), m.end("y"), "AGE", 5
    for pattern in _DATE_RES:
        for m in pattern.finditer(text):
            value = m.group()
            month = re.match(r"[A-Za-z]+\.?", value.replace("the ", "", 1))
            after = text[m.end() : m.end() + 14]
            # 'may 2 tablets', 'dec 5 mg': a modal verb or an abbreviation before a dose, not a date
            if _FOLLOWED_BY_UNIT.match(after):
                continue
            if month and _AMBIGUOUS_MONTH.match(month.group()) and not re.search(r"\d", value):
                continue
            start, end = _without_year(m.start(), m.end(), value)
            yield start, end, "DATE", 5
    for m in _SHORT_DATE.finditer(text):
        if _FOLLOWED_BY_UNIT.match(text[m.end("d") : m.end("d") + 14]):
            continue
        yield m.start("d"), m.end("d"), "DATE", 5
    for m in _MONTH_ONLY.finditer(text):
        yield m.start("d"), m.end("d"), "DATE", 5
    for pattern in _AGE_RES:
        for m in pattern.finditer(text):
            number = re.search(r"\d+", m.group())
            if number and int(number.group()) <= 89:
                continue
            yield m.start(), m.end(), "AGE", 5


# --------------------------------------------------------------------------------------------- locations
_STREET_SUFFIX = (r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
                  r"terrace|ter|circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl|crescent|cres|close|row|"
                  r"alley|route|rte|pike|plaza|loop|walk|grove|gardens|mews|hill|heights|estate)")
_UNIT_PART = r"(?:,?\s*(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|#)\.?\s*#?\s*[A-Za-z0-9-]+)?"
_ADDRESS_WORD = r"(?:[NSEW]\.?\s+)?[A-Za-z][A-Za-z'.-]*"
_STREET = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+(?P<words>(?:{_ADDRESS_WORD}\s+){{1,3}}){_STREET_SUFFIX}\b\.?{_UNIT_PART}",
    re.I,
)
_ORDINAL_STREET = re.compile(r"\b\d{1,3}(?:st|nd|rd|th)\s+(?:street|st|avenue|ave|road|rd|blvd|boulevard)\b\.?", re.I)
_PO_BOX = re.compile(r"\b(?:p\.?\s?o\.?\s*box|post\s+office\s+box)\s*#?\s*\d+\b", re.I)
_ZIP_CUE = re.compile(
    rf"(?:\b(?:zip|zip\s?code|zipcode|postal\s+code|postcode)\s*(?:is|:|#|number)?\s*"
    rf"|\b(?:{'|'.join(_STATE_CODES)})\.?\s+|\b(?:{'|'.join(sorted(US_STATES, key=len, reverse=True))}),?\s+)"
    r"(?P<zip>\d{5}(?:-\d{4})?)(?![\d-])",
    re.I,
)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b")
# A five-digit number, or ZIP+4, standing alone ("John from 62704 asks ..."): Safe Harbor treats every ZIP code as an
# identifier (only its first three digits may stay, and only for large areas; we drop all five). Clinical numbers of
# five digits are told apart by what surrounds them: a unit or a counted noun after, a laboratory name or a
# comparison before, a range partner, or a round thousand ("WBC 11000", "10000 steps", "over 20000", "12500 to 15000").
_ZIP_BARE = re.compile(r"(?<![\w.,·/$#+\-−–\[])(?P<zip>\d{5}(?:-\d{4})?)(?![\w%/°]|[.,·]\d|[-–]\w)")
_COUNTED = re.compile(
    r"^\s*(?:-\s*)?(?:±|\+/-|steps|base\s+pairs|bp|kb|genes|isolates|strains|sequences|reads|people|persons|patients|participants|adults|children|infants|women|men|subjects|cases|deaths|"
    r"births|individuals|visits|admissions|doses|vaccinations|samples|specimens|tests|cells|copies|calories|kcal|cal|"
    r"dollars|usd|euros|words|feet|ft|meters|metres|miles|km|kilometers|lux|hz|rpm|ppm|ppb|cfu|iu|ius|units?|"
    r"per|/|x|times|or\s+(?:more|fewer|less|higher|lower|above|below|greater)|(?:to|through|-|–)\s*\d+)(?![\w/])",
    re.I,
)
_MEASURED_BEFORE = re.compile(
    r"(?:\b(?:wbcs?|rbcs?|hgb|hb|hct|plts?|platelets?|anc|alc|cd4|cd8|ldh|ck|cpk|bnp|nt-?probnp|troponins?|afp|cea|psa|"
    r"ferritin|tsh|crp|esr|igg|ige|igm|d-?dimer|lipase|amylase|titers?|titres?|counts?|levels?|loads?|copies|concentration|"
    r"dose|doses|dosage|dosing|units?|iu|steps|calories|kcal|score|scores|cpt|icd(?:-?\d+)?|hcpcs|drg|loinc|snomed|ndc|"
    r"pmid|nct|rs|codes?|over|under|above|below|than|about|approximately|approx\.?|around|nearly|almost|exceeding|"
    r"exceeds?|exceeded|least|most|between|up\s+to|maximum|minimum|max|min|total|totals?|weighs?|weighed|weight|"
    r"ng/ml|pg/ml|iu/l|u/l|cells/[uµμ]l|/[uµμ]l|/mm3)"
    r"|[<>≤≥=~≈])\W{0,3}(?:(?:was|were|is|are|of|at|count|level|about|around|approximately|only|just|roughly)\W{1,3}){0,2}$",
    re.I,
)
_RANGE_BEFORE = re.compile(
    r"(?:\d[\d,.]*\s*(?:to|-|–|through)|\bbetween\s+\d[\d,.]*\s*and|\d[\d,.]*\s+(?:out\s+)?of)\s*$", re.I)
_ACRONYM_BEFORE = re.compile(r"\b(?P<acronym>[A-Z][A-Z0-9-]{1,7})\s*[:=]?\s*$")
_CITY_STATE = re.compile(
    rf"\b(?P<city>(?:[A-Z][a-z]+\.?\s){{0,2}}[A-Z][a-z]+),\s*(?:{'|'.join(_STATE_CODES)})\b(?!\.\w)"
)
_PLACE_CUE = re.compile(
    r"\b(?:live|lives|living|lived|reside|resides|residing|resident\s+of|located\s+in|moved\s+to|moving\s+to|"
    r"relocated\s+to|from\s+the\s+town\s+of|town\s+of|city\s+of|village\s+of|county\s+of|hometown(?:\s+is)?|"
    r"born\s+in|grew\s+up\s+in|address(?:\s+is)?|neighbou?rhood\s+of|travel(?:l?ed|ing)?\s+to|visiting|"
    r"trip\s+to|vacation\s+in|holiday\s+in|here\s+in|outside(?:\s+of)?|in\s+downtown|"
    r"(?:is|am|are|was|were|comes?|came|originally|moved\s+here|travel(?:l?ed)?\s+here)\s+from)\b"
    r"(?:\s+(?:in|at|on|to|near))?(?:\s+the\s+(?:city|town|village)\s+of)?\s+",
    re.I,
)
_WORDLIKE_CITY_BEFORE_ZIP = re.compile(
    rf"\b(?P<city>{'|'.join(sorted(_CITY_WORDLIKE))}),?\s+(?:(?:{'|'.join(_STATE_CODES)})\.?\s+)?\d{{5}}(?:-\d{{4}})?(?![\w-])",
    re.I,
)
# 'old' is no name ('89 years old'), but it is a street ('4120 Old Mill Rd')
_NOT_STREET_WORD = _NOT_NAME - {"old"}
_COUNTY = re.compile(r"\b(?P<name>(?:[A-Za-z]+\s){0,2}[A-Za-z]+)\s+(?:county|parish|borough|township)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'.-]*")


@lru_cache(maxsize=1)
def _city_pattern() -> re.Pattern[str]:
    names = sorted((c for c in CITIES if c not in _CITY_WORDLIKE), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")\b", re.I)


_NOT_PLACE = _NOT_NAME | frozenset("""home house work school town city country state hospital clinic area region
nursing care facility rural urban fear pain poverty bed shelter apartment community village world abroad
overseas same another other different""".split())


def _locations(text: str, case: bool):
    for m in _STREET.finditer(text):
        words = m.group("words").lower().split()
        if any(w.strip(".") in _NOT_STREET_WORD or re.fullmatch(_UNIT, w.strip(".")) or (w.endswith(".") and len(w) > 3) for w in words):
            continue  # '2 tablets by mouth ... way'
        yield m.start(), m.end(), "LOCATION", 4
    for pattern in (_ORDINAL_STREET, _PO_BOX):
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "LOCATION", 4
    for m in _ZIP_CUE.finditer(text):
        yield m.start("zip"), m.end("zip"), "LOCATION", 4
    for m in _ZIP_BARE.finditer(text):
        if _bare_zip(text, m, case):
            yield m.start("zip"), m.end("zip"), "LOCATION", 4
    for m in _UK_POSTCODE.finditer(text):
        yield m.start(), m.end(), "LOCATION", 3
    for m in _CITY_STATE.finditer(text):
        city = m.group("city")
        first = city.split()[0].lower()
        if first in _NOT_PLACE or city.lower() in US_STATES:
            continue
        yield m.start("city"), m.end("city"), "LOCATION", 3
    for m in _city_pattern().finditer(text):
        if not _EPONYM_AFTER.match(text[m.end() : m.end() + 40]):  # 'Ottawa Ankle Rule' is not a place
            yield m.start(), m.end(), "LOCATION", 2
    for m in _WORDLIKE_CITY_BEFORE_ZIP.finditer(text):  # 'maple ave providence 02903': a word, but where a city stands
        yield m.start("city"), m.end("city"), "LOCATION", 2
    for m in _PLACE_CUE.finditer(text):
        span = _place_after(text, m.end(), case)
        if span and not _EPONYM_AFTER.match(text[span[1] : span[1] + 40]):
            yield span[0], span[1], "LOCATION", 2
    for m in _COUNTY.finditer(text):
        kept: list[str] = []
        for word in reversed(m.group("name").split()):
            if word.lower() in _NOT_PLACE or (case and not word[0].isupper()):
                break
            kept.insert(0, word)
        if kept:
            yield m.end("name") - len(" ".join(kept)), m.end(), "LOCATION", 3


def _bare_zip(text: str, m: re.Match, case: bool) -> bool:
    """Whether a five-digit number (or ZIP+4) standing alone is a ZIP code rather than a clinical number."""
    value = m.group("zip")
    if len(value) == 5 and value.endswith("000"):
        return False  # round thousands are counts ('11000', '50000'); such ZIP codes are given with a cue or a state
    before, after = text[max(0, m.start() - 40) : m.start()], text[m.end() : m.end() + 24]
    if _FOLLOWED_BY_UNIT.match(after) or _COUNTED.match(after):
        return False
    if _MEASURED_BEFORE.search(before) or _RANGE_BEFORE.search(before):
        return False
    acronym = _ACRONYM_BEFORE.search(before) if case else None
    return not (acronym and acronym.group("acronym") not in _STATE_CODES)


def _place_after(text: str, pos: int, case: bool) -> tuple[int, int] | None:
    """The place name after a cue ('lives in Springfield'): capitalised words in mixed-case text, else a known city."""
    city = _city_pattern().match(text, pos)
    for word in _CITY_WORDLIKE:
        if text[pos : pos + len(word)].lower() == word and not text[pos + len(word) : pos + len(word) + 1].isalpha():
            return pos, pos + len(word)
    if city:
        return city.start(), city.end()
    if not case:
        return None
    end, count = pos, 0
    for m in _WORD.finditer(text, pos):
        if m.start() != end and not (count and text[end:m.start()] == " "):
            break
        word = m.group().rstrip(".")
        if not word[:1].isupper() or word.isupper() or word.lower() in _NOT_PLACE or word.lower() in US_STATES or count == 3:
            break
        end, count = m.start() + len(word), count + 1
    if not count:
        return None
    if text[pos:end].lower() in US_STATES:
        return None
    return pos, end


# ------------------------------------------------------------------------------------------------- names
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_TITLE_STRONG = re.compile(r"\b(?:mr|mrs|ms|mx|dr|prof|rev)\.\s*$", re.I)
_TITLE_WEAK = re.compile(
    r"\b(?:mr|mrs|ms|mx|dr|prof|doctor|professor|nurse|sister|father|rev|sir|madam|dame|lady|lord|miss|mister|missus)\s+$", re.I)
_CUE_STRONG = re.compile(
    r"\b(?:(?:my|his|her|their|our|patient's|[a-z]+'s)\s+(?:full\s+|first\s+|last\s+)?name\s+is|my\s+name's|name:|"
    r"(?:their|our)\s+names\s+are|patient\s+name|pt\.?\s+name|"
    r"signed|sincerely,?|regards,?|thanks,?|thank\s+you,?|cheers,?|yours\s+truly,?|goes\s+by|contact\s+person:?|next\s+of\s+kin:?|emergency\s+contact:?|"
    r"guardian:?|referred\s+by|referring\s+(?:physician|doctor|provider):?|pcp:?|pcp\s+is)\s*[:,-]?\s*$",
    re.I,
)
_CUE_WEAK = re.compile(
    r"\b(?:patient|pt\.?|client|resident|mr\.?|mrs\.?|ms\.?|(?:my|his|her|our|their|the)\s+(?:son|daughter|wife|husband|"
    r"mother|mom|mum|father|dad|brother|sister|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|"
    r"aunt|uncle|nephew|niece|cousin|partner|boyfriend|girlfriend|friend|neighbou?r|baby|child|kid|boy|girl|"
    r"fiancee?|spouse|stepson|stepdaughter|twin|colleague|boss|roommate|carer|caregiver|doctor|gp|physician|"
    r"nurse|surgeon|pediatrician|paediatrician|cardiologist|oncologist)|dear|hi|hello|this\s+is|i\s+am|i'm|"
    r"named|called|known\s+as|aka|a\.k\.a\.?|spoke\s+(?:with|to)|talked\s+(?:with|to)|visited\s+by|seen\s+by|accompanied\s+by)\s*,?\s*$",
    re.I,
)
# capitalised words that follow "Patient" in titles ("Patient Health Questionnaire"), never names
_TITLE_WORDS = frozenset("""health safety care education information portal advocate advocacy experience
reported outcome outcomes questionnaire assessment centered centred access rights privacy record records history
support services service group groups population""".split())
_APPOSITION = re.compile(r"\b(?:my|his|her|our|their)\s+[a-z]+\s*,\s*$", re.I)
_PARTICLES = frozenset({"de", "del", "della", "da", "di", "van", "von", "der", "den", "la", "le", "du", "dos", "das",
                        "bin", "ibn", "al", "el", "st", "mac", "o"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "rn", "phd", "do", "np", "pa"})


def _name_word(word: str) -> str:
    """'Maria's' -> 'maria', "O'Brien" -> 'obrien' (the form the lists use)."""
    return re.sub(r"['’]", "", re.sub(r"(?:'s|’s|')$", "", word)).lower()


def _names(text: str, case: bool):
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    i = 0
    while i < len(tokens):
        start, end, word = tokens[i]
        key = _name_word(word)
        before = text[max(0, start - 60) : start]
        # Title case carries information only in mixed-case text; an all-caps word there is an acronym ('WBC')
        capital = case and _title_case(word)
        if key in _NOT_NAME and not (_TITLE_STRONG.search(before) and capital):
            i += 1
            continue
        title = _TITLE_WEAK.search(before)
        if title and case and title.group().strip().isupper() and len(title.group().strip()) > 1:
            title = None  # 'MR Imaging': an acronym, not a title
        cue = _CUE_WEAK.search(before)
        if cue and case and cue.group()[:1].isupper() and (
            cue.group().strip().isupper() or not _sentence_start(text, start - len(before) + cue.start())
        ):
            cue = None  # 'the Patient Health Questionnaire': a capitalised cue inside a title
        weak_cue = title or cue
        strong = bool(_TITLE_STRONG.search(before) or _CUE_STRONG.search(before)) or bool(
            _APPOSITION.search(before) and _apposition_closes(text, tokens, i))
        weak = bool(weak_cue)
        listed = key in FIRST_NAMES or key in SURNAMES
        plain_first = key in FIRST_NAMES and key not in _WORDLIKE
        accept = False
        if strong:
            accept = (capital or not case or listed) and (word.isalpha() or "'" in word or "-" in word)
        elif weak:
            accept = (capital and key not in _TITLE_WORDS) or (listed and key not in _WORDLIKE) or (capital and listed)
        elif plain_first and (capital or not case):
            accept = True
        elif key in FIRST_NAMES and capital and i + 1 < len(tokens):
            nxt = _name_word(tokens[i + 1][2])
            accept = nxt in SURNAMES and tokens[i + 1][2][0].isupper() and text[end : tokens[i + 1][0]] == " "
        elif key in SURNAMES and key not in _WORDLIKE and i + 1 < len(tokens):
            # 'Smith, John'
            gap = text[end : tokens[i + 1][0]]
            accept = gap.strip() == "," and _name_word(tokens[i + 1][2]) in FIRST_NAMES and (capital or not case)
        if not accept:
            i += 1
            continue
        j = i
        # extend: initials, particles, capitalised words, listed names, suffixes
        while j + 1 < len(tokens) and j - i < 4:
            gap = text[tokens[j][1] : tokens[j + 1][0]]
            if gap not in {" ", ". ", ", "} or (gap == ", " and _name_word(tokens[j + 1][2]) not in FIRST_NAMES | _SUFFIXES):
                break
            nxt_word = tokens[j + 1][2]
            nkey = _name_word(nxt_word)
            if _HEAD_WORD.match(nkey):
                break  # 'Alexander Disease', 'Marie Unna congenital ...': the name of a condition
            if gap == ". " and not (len(tokens[j][2]) == 1 or tokens[j][2].lower() in {"st", "jr"}):
                break
            ok = False
            if nkey in _NOT_NAME and nkey not in _SUFFIXES:
                ok = False
            elif case:
                ok = _title_case(nxt_word) or nkey in FIRST_NAMES or nkey in SURNAMES or (nkey in _PARTICLES and j + 2 < len(tokens))
            else:
                ok = nkey in FIRST_NAMES or nkey in SURNAMES or nkey in _SUFFIXES or len(nxt_word) == 1 or (
                    strong and nkey not in _NOT_PLACE and j == i)
            if not ok:
                break
            j += 1
        span_end = tokens[j][1]
        if j + 1 < len(tokens) and text[span_end : span_end + 1] == "." and (len(tokens[j][2]) == 1 or _name_word(tokens[j][2]) in _SUFFIXES):
            span_end += 1
        if _EPONYM_AFTER.match(text[span_end : span_end + 40]) or _eponym_before(text, start):
            i = j + 1
            continue
        span_end = start + len(text[start:span_end].rstrip("'’")) if not text[start:span_end].endswith(("'s", "’s")) else span_end - 2
        yield start, span_end, "NAME", 3
        i = j + 1


def _title_case(word: str) -> bool:
    """'Maria', 'McDonald', "O'Brien"; not 'AFib', 'WBC' or 'maria'."""
    return word[0].isupper() and (len(word) == 1 or word[1].islower() or word[1] in "'’")


def _apposition_closes(text: str, tokens: list[tuple[int, int, str]], i: int) -> bool:
    """'my mother, yesenia marchetto, lives ...': one to three words closed by a comma after a relation noun."""
    for j in range(i, min(i + 3, len(tokens))):
        if _name_word(tokens[j][2]) in _NOT_NAME:
            return False
        after = text[tokens[j][1] : tokens[j][1] + 2]
        if after.startswith(","):
            return True
        if j + 1 < len(tokens) and text[tokens[j][1] : tokens[j + 1][0]] != " ":
            return False
    return False


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return not before or before[-1] in ".!?\n"


def _eponym_before(text: str, pos: int) -> bool:
    """'Stevens-Johnson', 'Guillain-Barre': the second half of a hyphenated eponym."""
    return text[max(0, pos - 1) : pos] == "-"


# ------------------------------------------------------------------------------------------- other numbers
_LONG_NUMBER = re.compile(r"(?<![\w.,/-])\d(?:[\d-]*\d)?(?![\w,/]|\.\d)")
_CODE = re.compile(r"(?<![\w-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w-])")
_HEX = re.compile(r"\b[0-9a-f]{16,}\b", re.I)
_CLINICAL_CODE = re.compile(
    r"^(?:nct\d+|rs\d+|icd[-\d]*|cpt\d*|loinc[-\d]*|snomed\d*|atc\w*|cyp\w+|hla\w*|pmid\d*|isbn\d*|doi\w*|iso\d*|"
    r"covid-?19|sars-cov-?2|h\d+n\d+|[a-z]\d{2}(?:\.\d+)?|e\d{3,4}|ck-?mb|nt-probnp|pd-?l?1)$",
    re.I,
)


def _numbers(text: str, _case: bool):
    for m in _LONG_NUMBER.finditer(text):
        value = m.group()
        digits = sum(c.isdigit() for c in value)
        if digits < 7 or _is_quantity(value, text[m.end() : m.end() + 14]):
            continue
        groups = value.split("-")
        if len(groups) == 2 and all(re.fullmatch(_YEAR, g) for g in groups):
            continue  # '2019-2020'
        if len(groups) == 2 and all(len(g) <= 4 for g in groups) and _FOLLOWED_BY_UNIT.match(text[m.end() : m.end() + 14]):
            continue
        yield m.start(), m.end(), "ID", 1
    for m in _CODE.finditer(text):
        value = m.group()
        digits = sum(c.isdigit() for c in value)
        letters = sum(c.isalpha() for c in value)
        if digits < 6 or letters > 2 or _CLINICAL_CODE.match(value) or _is_quantity(value, text[m.end() : m.end() + 14]):
            continue
        yield m.start(), m.end(), "ID", 1
    for m in _HEX.finditer(text):
        yield m.start(), m.end(), "ID", 1


_FINDERS = (_structured, _labelled, _dates, _locations, _names, _numbers)
