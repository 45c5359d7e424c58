"""Name and place lists of the PHI detector (clinrag.privacy): first names, surnames, cities, states, and the
words that look like names but are not (eponyms, clinical words)."""

from __future__ import annotations

import re

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
