"""What each diagnostic code means (`filmc explain CODE`)."""

from __future__ import annotations

from .model import CAMERA_MOVES

CODES: dict[str, tuple[str, str]] = {
    "L100": ("cannot read the file", "The path does not exist, is a folder without film.yaml, or cannot be read."),
    "L101": ("invalid YAML", "The file is not well-formed YAML. The caret shows where the parser stopped; the "
             "problem is often on that line or the one before (a missing colon, an unclosed quote, a value "
             "containing ': ' that needs quotes)."),
    "L102": ("not UTF-8 text", "film.yaml must be UTF-8 text. Re-save it as UTF-8; binary files are refused."),
    "L103": ("file too large or too deep", "Files over 8 MiB, or nested too deeply, are refused before parsing."),
    "L104": ("tab indentation", "YAML allows only spaces for indentation. Replace the tab with spaces "
             "(most editors: 'convert indentation to spaces')."),
    "L105": ("empty file", "The file has no content. `filmc init` writes a starter film.yaml."),
    "L106": ("top level is not a mapping", "film.yaml is a mapping of keys: version, film, song, shots, ..."),
    "L107": ("alias expansion too large", "Anchors (&a) and aliases (*a) may repeat values, but a document that "
             "expands to over a million values (a 'billion laughs' file) or refers to itself is refused."),
    "L110": ("complex mapping key", "Keys must be plain values such as `id` or `s01`, not lists or mappings."),
    "L111": ("duplicate key", "The same key appears twice in one mapping. YAML would silently keep only one; "
             "filmc refuses the file and shows both places."),
    "L112": ("invalid scalar", "A value tagged or typed as a number or boolean could not be read as one."),
    "L113": ("unsupported tag", "film.yaml uses plain values only; tags such as !!python/object are refused."),
    "L114": ("control characters removed", "A value held characters that are not text: NUL, ESC, BEL, carriage "
             "return, terminal control sequences (C1), or bidirectional overrides. They come from escapes in quoted "
             "values (\"\\0\", \"\\e\", \"\\x1b\") and would reach prompts, job files, render scripts and "
             "the terminal, so filmc removes them and warns. Delete the escape. Tabs and newlines are kept."),
    "V101": ("unknown key", "A key that the film.yaml language does not have, often a typo (`shot:` for "
             "`shots:`). The hint names the closest known key. `filmc schema` prints every key."),
    "V102": ("missing required key", "A required key is absent, e.g. `film.title`, a section's `start`, a shot's `section`."),
    "V103": ("wrong type", "The value has the wrong kind: text where a number is expected, a list where a mapping is."),
    "V104": ("value not allowed", "The value is not one of the allowed words (shot sizes, angles, subtitles modes...)."),
    "V105": ("out of range", "A number outside its allowed range (negative durations, crf above 51...)."),
    "V106": ("bad format", "The value does not have the required form, e.g. ids use letters, digits, '_', '.', '-'."),
    "V107": ("wrong number of items", "A list is too short or too long (e.g. resolution takes [width, height])."),
    "V201": ("duplicate id", "Two sections, or two shots, share an id. Ids must be unique within their kind."),
    "V210": ("unknown section", "A shot names a section that song.sections does not define."),
    "V211": ("unknown character", "A shot's cast names a character that `characters` does not define."),
    "V212": ("unknown wardrobe", "A cast member names a wardrobe id the character does not have. Free text with "
             "spaces is taken as a one-off wardrobe description instead."),
    "V213": ("unknown location", "A shot names a location that `locations` does not define."),
    "V214": ("unknown world", "A shot or section names a world that concept.worlds does not define."),
    "V215": ("character listed twice", "The same character appears twice in one shot's cast."),
    "V216": ("shots out of song order", "The song is the clock: the shots of a section must be listed together, "
             "and sections' shots in the order of song.sections."),
    "V217": ("unknown target", "A target name that is neither built in nor a folder targets/<name>/ beside "
             "film.yaml: `filmc targets list` names them all, with what each takes."),
    "V218": ("target of the wrong kind", "An image target listed under targets.video, or the other way round."),
    "V219": ("override for an unused target", "A shot's prompt override names a target the film does not compile for."),
    "V221": ("target name mismatch", "A target.yaml's `name` must equal its folder's name."),
    "V224": ("target options schema unusable", "A target.yaml's `options` must be a JSON Schema that compiles "
             "(valid regular expressions in patterns, known types)."),
    "V223": ("shot longer than the target generates", "The shot (plus trim, times speed) needs more video than the "
             "target's longest generation. Split the shot, or set `extend: true` to chain generations."),
    "V225": ("length not made with these options", "A target makes some lengths only with some option values "
             "(`capabilities.durations_when`: Hailuo makes 1080P clips of 6 s, Veo 1080p and 4k clips of 8 s). "
             "Ask for one of the lengths it makes with the shot's options, or change the option."),
    "V226": ("durations_when does not fit the target", "A target.yaml's `capabilities.durations_when` names "
             "an option the target does not have, a value the option does not take, or a length not in "
             "`capabilities.durations`: the entry would never match, or promise a length the model never makes."),
    "V230": ("bad time", "Times are seconds (12.5) or 'm:ss', 'm:ss.fff', 'h:mm:ss.fff' with seconds below 60."),
    "V231": ("section starts out of order", "The first section starts at 0 and each next one strictly later."),
    "V232": ("section outside the song", "A section starts at or after the end of the song."),
    "V233": ("song length unknown", "Without an audio file, song.duration is required."),
    "V234": ("song duration disagrees with the audio", "song.duration and the audio file's length differ by more "
             "than 0.1 s. Fix the duration, or remove it and let the audio decide."),
    "V236": ("unreadable audio", "ffmpeg could not read the song's audio file."),
    "V240": ("section over- or under-filled", "A section's shots must fill it exactly. Shots without a duration "
             "share what the others leave; the message says by how much the section is over or under."),
    "V241": ("zero-length shot", "A shot's duration must be greater than 0."),
    "V242": ("no shots", "The film has no shots yet (a warning: the song and sections still validate)."),
    "V250": ("transition longer than its shot", "A fade or dissolve lasts longer than the shot (or, for a "
             "dissolve, the neighbouring shot)."),
    "V260": ("path outside the film", "Paths are relative to the folder holding film.yaml and must stay inside it "
             "(no absolute paths, no '..' escaping). `--allow-outside-paths` lifts this deliberately."),
    "V261": ("file not found", "A referenced file does not exist: an error for audio and LUTs, a warning for "
             "takes and reference images."),
    "V262": ("output over an input", "The render's output (edit.output.file, or -o) names a file the film reads: "
             "film.yaml, the song, a take, a reference image, a LUT or a workflow. The render would replace it with "
             "the film. Render to a new file, e.g. build/film.mp4."),
    "V263": ("output not a video file", "The render's output must be a file ending in .mp4, .m4v, .mov or .mkv "
             "(H.264 video, AAC audio), not a folder or a special file."),
    "V264": ("not a regular file", "A path names a named pipe (FIFO), a socket or a device. Reading one could "
             "block forever; media must be regular files in the film's folder."),
    "V270": ("name in prompt text", "A character's `name` is for humans. Written into prompt text (a shot's "
             "subject, background, actions, motions, a character's description or wardrobe, a location's "
             "description) it would reach the generation model; describe the person instead (the description is "
             "injected for you). A name in a prompt override is lint's P401."),
    "V271": ("ref not the character's", "`cast[].refs` picks which of a character's `refs` go with the shot; each "
             "entry must be one of them (add the image to characters.<id>.refs first)."),
    "V272": ("reference not an image", "References and end frames are still images: .png, .jpg, .jpeg or .webp."),
    "V273": ("too many references", "The shot picks more references than a target's model takes in one request "
             "(`capabilities.references.max`, or its per-kind limit). Drop some, or use a target that takes more; "
             "`filmc targets list` shows each target's limit."),
    "V274": ("reference not taken", "The shot picks references a target's model cannot take (none at all, or not of "
             "that kind): that target compiles the character's description only."),
    "V275": ("references excluded", "A model takes references only without an end frame (Veo 3.1): the shot "
             "picks refs and an end frame. Drop one, or use another target. (Where a model takes no references "
             "with a first frame, an image-to-video shot sends the first frame alone: the image already carries "
             "what the refs show.)"),
    "V276": ("references left out", "A shot's references (the characters', the location's, the world's) are more "
             "than a target's model takes: it keeps the first ref of each character, then of the place and the "
             "look, then the next ones. Pick the ones that matter with `cast[].refs` or the shot's `refs:`."),
    "V277": ("no next frame", "`end_frame: next` ends the clip on the next shot's first frame: there must be a next "
             "shot, starting from an image (an image target, and not text-to-video)."),
    "V278": ("end frame unusable", "A still has no clip to end on a frame; and an end frame no video target's model "
             "takes is not sent (`filmc targets list` shows which take one)."),
    "V279": ("end frame cut off", "The target generates a clip longer than the shot plays (its lengths are fixed, "
             "e.g. 5 or 10 s), and the edit keeps the clip's start: the end frame, at the clip's end, never reaches "
             "the cut. Give the shot the generated length, or trim the take's start (trim: {in: s}) so it ends on it."),
    "V280": ("unknown camera move", f"Camera moves: {' '.join(CAMERA_MOVES)}, optionally with 'slow ' or 'fast ' "
             "first."),
    "V281": ("lyric line outside its section", "A timed lyric line's `at` lies outside its section."),
    "V282": ("lyrics and lines", "A section has both `lyrics` and timed `lines`; the lines are used."),
    "V283": ("shot ids whose files collide", "Each shot's files and jobs are named after its id (its job <id>.<target>, "
             "takes/<id>.<image target>.png, slates/<id>.png). Two ids must not give the same name: shot 'a.mystic' "
             "would take shot 'a''s image takes/a.mystic.png, and 's01' and 'S01' are one file on "
             "case-insensitive disks (macOS, Windows). Rename one of the shots."),
    "V284": ("id too long for a file name", "Shot ids name files, so they have at most 100 characters (file names "
             "have at most 255 bytes). Keep the id short and put the description in 'subject' or 'notes'."),
    "V285": ("option pattern too slow to check", "A target's options schema gives a `pattern` that backtracks "
             "without end on this value (nested repeats such as (a+)+, or overlapping alternatives such as (a|a)*). "
             "Matching gives up after half a second; the pattern in the target's target.yaml needs simplifying."),
    "V286": ("references sent nowhere", "A character, location or world has `refs`, but no shot sends them to any "
             "target: with the models the film and its shots set, each takes no references of that kind, or none "
             "with a first (or end) frame. The message gives each target's reason; each compiles the descriptions "
             "only. Refs left out for a missing file (V261) or over a model's limit (V276) are not counted. "
             "`filmc targets list` shows which targets take references."),
    "V290": ("snap without beats", "edit.snap: beats needs song.bpm (with beat_offset) or song.beats."),
    "V291": ("bpm and beats", "Both song.bpm and song.beats are set; the explicit beats win."),
    "V292": ("subtitles without lyrics", "Subtitles are on, but no section has lyrics or lines."),
    "V293": ("card past the song", "A card overlaid at a song time runs past the end of the song."),
    "V294": ("card fades too long", "A card's fade-in plus fade-out is longer than the card."),
    "V295": ("odd resolution", "Video encoders (H.264) need even width and height."),
    "T300": ("missing template", "A target folder lacks a template it needs: prompt.j2, or request.<provider>.json.j2 "
             "for each provider in its target.yaml, or one that a template includes, imports or extends."),
    "T301": ("template error", "A target template failed while rendering a shot: the message names the template "
             "line and the shot. Templates see only the documented context (docs/prompts.md)."),
    "T302": ("request template made invalid JSON", "A request template must render valid JSON; insert every value "
             "with the json filter: {{ prompt.text | json }}."),
    "T303": ("template not allowed", "Templates run sandboxed: no attribute tricks, no file access, no unbounded "
             "recursion, no gigantic values; include, import and extends reach only templates inside the target's "
             "own folder."),
    "T304": ("workflow graph problem", "A ComfyUI workflow (built in, or yours via options.workflow) must be an API-format "
             "graph with CLIPTextEncode nodes titled 'positive' and 'negative': filmc puts the prompts there."),
    "T305": ("template took too long", "A target template gets 2 s to render one shot, and the templates of one "
             "command 120 s in all; the message points at the template line where it was stopped (a loop or a "
             "recursive macro that runs too long). The target's other shots are then not rendered."),
    "T306": ("template used too much memory", "A target template may make filmc grow by 512 MiB while rendering "
             "one shot; the message points at the template line where it was stopped (usually a loop or a recursive "
             "macro that builds a huge text). The target's other shots are then not rendered."),
    "V296": ("bad aspect ratio", "film.aspect is width:height with both sides above 0, e.g. \"16:9\"."),
    "V297": ("no text-to-video request", "A shot with mode: text-to-video needs every video target to make video "
             "from text alone, but this target (with its provider and model) only animates an image. The message "
             "names the providers and models that can; or set mode: image-to-video."),
    "V298": ("segment length not offered", "An extend segment's duration is longer than the target generates "
             "(error), or a length it does not offer: the next longer one is generated, and the segments after it "
             "start later in the shot (warning)."),
    "V299": ("segments do not cover the shot", "The extend segments of a shot together are shorter than the shot "
             "needs, or a segment starts after the segments before it already cover the shot. Leave the last "
             "segment's duration out to have it cover what is left."),
    "P401": ("name in a compiled prompt", "A character's name reached a compiled prompt by a way validation "
             "does not read (a hand-written override, the concept's style, a template). Generation models get "
             "descriptions, never names. A name V270 reports where it is written is not reported again for every "
             "prompt it reaches."),
    "P402": ("reference to another shot", "A prompt says 'previous shot' or similar. Each prompt must stand alone."),
    "P403": ("empty video prompt", "Nothing moves: give the cast a motion, the shot a subject_motion or a "
             "background_motion, or a camera move."),
    "P404": ("duplicated video prompt", "Two shots have the same motion prompt for a target."),
    "P405": ("override drops a description", "A hand-written image prompt leaves out a cast member's canonical "
             "description, so the character will drift. Paste it verbatim or remove the override."),
    "P406": ("prompt over the limit", "The prompt is longer than the target's API accepts."),
    "P407": ("negative the target cannot take", "The target has no negative prompt: a negative override is dropped, "
             "and avoid terms without a positive phrasing are left out."),
    "P408": ("camera move the target cannot express", "The target's camera vocabulary has no command for this move; "
             "it is written as a sentence, which the model may ignore."),
    "P409": ("aspect the target lacks", "The film's aspect ratio is not in the target's vocabulary, so its requests "
             "carry no aspect and the model uses its default."),
    "P410": ("no first frame", "Video targets animate a first-frame image; without an image target their jobs have none."),
    "P411": ("override of the wrong kind", "An `image:` override on a video target (or `video:` on an image target) "
             "is ignored."),
    "P412": ("prompt over the target's budget", "The compiled prompt has more words (or CLIP tokens) than the "
             "target's `prompt_budget` in its target.yaml: what the model reads well. Later words lose weight or are "
             "cut. Shorten descriptions, details or mood, or write a `prompt:` override for that target."),
    "P413": ("pronoun without antecedent", "A prompt says 'he', 'her' ... before naming anyone it can refer to "
             "(usually a motion or override written as 'he lowers the mug'). The model sees each prompt alone: "
             "name the character first, or write the motion as a verb phrase so filmc names the character."),
    "P414": ("action filmc cannot inflect", "A cast member's `action` starts with neither a verb ('polishes the "
             "lens'), a participle ('hunched over the dial') nor a place ('at the window'), so it can only be "
             "attached to a sentence as written ('appears with ...'). Rephrase it as one of those three."),
    "P415": ("expression the view cannot show", "A cast member has an `expression` but is seen from behind, in "
             "silhouette, only by hands or feet, or too far away: the face is not in view, so image prompts leave "
             "the expression out. Remove it, or change the view or the size."),
    "P416": ("shot look against its world", "A shot's own words (time, subject, mood) say sunny while its world's "
             "lighting or palette says storm, or the reverse. Give the shot its own `lighting:` or `palette:`: "
             "shot > world > concept."),
    "P417": ("text-to-video without a video target", "A shot says `mode: text-to-video` (no first frame), but "
             "the film lists no video target, so nothing at all is generated for it. Add a video target or make "
             "the shot `still`."),
    "P418": ("camera sequence longer than the target can say", "A shot's camera sequence has more moves than the "
             "target expresses in one prompt (`camera_max` in its target.yaml: Hailuo combines 3 bracket commands, "
             "the prose models say a move or two joined by 'then'). The moves past it are dropped; the warning names "
             "them. Shorten the sequence or split the shot."),
    "P419": ("edit instruction in a motion", "A cast motion, subject_motion, background_motion or extend segment "
             "says 'fades to black', 'cut to', 'dissolves into' ...: an edit, which a video model cannot do (it "
             "invents a cut or a dark frame). Say what moves in frame and put the fade in the shot's `transition`."),
    "P420": ("camera sequence without commands", "A bracket-command target (Hailuo) has no command for a later move "
             "of the shot's camera sequence (an orbit), so the whole sequence is written in words after the motion "
             "instead of as leading [commands]. The model may follow words less exactly."),
    "P421": ("prompt content left out to fit the budget", "A target with a prompt budget (CLIP windows for "
             "ComfyUI/SDXL, words for Midjourney) had no room for some phrases of the shot; they are named. The "
             "phrases come in priority order (framing, who is in frame, action, setting, light, palette, style), "
             "so the last ones go first: shorten descriptions or the look, or raise prompt_chunks."),
    "P422": ("workflow without a node per CLIP window", "The prompt fills more than one CLIP window, and the "
             "creator's ComfyUI workflow has no CLIPTextEncode titled 'positive 2' (3, ...) for the next window: "
             "the rest is appended to the last prompt node, where ComfyUI splits it at its own 75-token "
             "boundaries, mid-phrase. Add nodes titled 'positive 2' ... joined to 'positive' by "
             "ConditioningConcat."),
    "Y601": ("film.yaml changed during an edit", "A command that writes film.yaml (`filmc beats`) found the file "
             "changed on disk after it read it (an editor saved it meanwhile). Nothing was written; run it again."),
    "Y602": ("value shared through an anchor", "The value to change is anchored (&name) and used again as an alias "
             "(*name): changing it would change every use. Edit it by hand, or write the value out in place of "
             "the alias."),
    "Y603": ("value is an alias", "The place to change is inside an alias (*name) of a value written elsewhere; "
             "changing it would change the original too. Write the value out in place of the alias."),
    "Y604": ("edit would touch other lines", "filmc changes only the values it edits; every other line of "
             "film.yaml stays byte-identical. This edit could not be made that way, so nothing was written."),
    "Y605": ("film.yaml cannot be written", "film.yaml is read-only, not a regular file, or its folder does not "
             "allow a new file beside it (edits are written to a temp file, then renamed into place)."),
    "Y606": ("no place for the value", "The value has no mapping or list to go in, or sits in a form filmc does "
             "not edit (an explicit '? key', the first key of a list item). Edit film.yaml by hand."),
    # C5xx: generation jobs (cost estimates, quality checks of takes, the ledger)
    "C535": ("model not served by the provider", "The target's provider (targets.options.<target>.provider, else the "
             "first in its target.yaml) has a request for each model it serves, and not for this one: the request "
             "would go to another model's endpoint. Pick a provider that serves the model (the hint names one), or "
             "another model."),
    "C501": ("no known price", "`filmc cost` found no `prices:` entry of the job's target for its provider whose `when:` "
             "holds for the job's options (model, mode, resolution, duration...). The job is listed as unknown and "
             "every total is a lower bound. Add a price to a target of your own (targets/<name>/target.yaml)."),
    "C505": ("ledger line skipped", "A line of .filmc/ledger.jsonl is not a JSON event: usually the last line, cut "
             "short when a run was killed mid-write. It is left out of `filmc stats`; the rest is read."),
    "C506": ("ledger unreadable", ".filmc/ledger.jsonl exists but is not a regular file (a FIFO, a folder) or cannot "
             "be read. filmc writes it; move the thing in its place away."),
    "C510": ("take is not a regular file", "The take is missing, or is a folder, a FIFO or a device: it is refused "
             "before ffmpeg opens it (a FIFO would block the check)."),
    "C511": ("take does not decode", "ffmpeg cannot read the take, it has no picture, decoding it reports errors, or it "
             "decodes to fewer frames than its header announces: the file is truncated or damaged. Download or "
             "generate it again."),
    "C512": ("take too short", "The take (as it decodes) is shorter than the shot needs."),
    "C513": ("take has the wrong aspect ratio", "The take's picture shape differs from the one asked (film.aspect) by "
             "more than 3 %: the edit would crop or pad it."),
    "C514": ("take below the resolution asked", "The take is smaller than the resolution asked and will be scaled up. "
             "A warning."),
    "C515": ("black take", "Nearly every frame of the take is black (at least 90 % of the frames with 98 % of their "
             "pixels near black): a failed generation."),
    "C516": ("frozen take", "The video does not change for at least 80 % of its length: a still image, not a "
             "generation with motion."),
    "C517": ("audio missing or unexpected", "Sound was asked and the take has no audio stream (an error), or the "
             "take has one that was not asked for (a warning)."),
    "C518": ("quality check did not finish", "ffmpeg did not finish checking the take in the time allowed, or could "
             "not run. The take is not known to be good."),
    "C520": ("no such shot", "`filmc select` names a shot that film.yaml does not have. The hint names the closest id."),
    "C521": ("no such take", "The take named is not one of the shot's (`filmc takes FILM SHOT` lists them): a "
             "<target>/<n>, a number n of the shot's video target, or the path of a file in the film's folder."),
    "C522": ("ambiguous take", "A bare number names a take of the shot's video target; the shot has that number for "
             "several video targets (or several files with that number). Name it as <target>/<n>, or give the file."),
    "C523": ("take outside the film's folder", "Takes live inside the film's folder (the folder holding film.yaml), "
             "so the film moves and renders as one. Copy the file into takes/<shot>/, or pass --allow-outside-paths."),
    "C524": ("take file not usable", "The take's file is gone (the ledger says it was downloaded, the file is not "
             "there), is a folder, a pipe or a device, or is not a picture or video file."),
    "C525": ("take failed the quality checks", "The take failed the quality checks (the ledger's, or run now for a "
             "file the run did not make): black, frozen, truncated, too short, wrong shape. Pick another take, or "
             "pass --force to use this one anyway."),
    "C526": ("ledger event ignored", "An event of .filmc/ledger.jsonl has a field of the wrong type (a take number "
             "that is not a number, say) or no attempt id: it is left out; the rest of the ledger is read."),
    "C527": ("too many files in a take folder", "A takes/<shot>/ folder holds more media files than `filmc takes` "
             "lists (10,000); the rest are left out."),
    "B801": ("no thumbnail for a take", "`filmc board` could not take a frame of this file with ffmpeg (it does not "
             "decode, or cannot be read): its card shows the next picture it has, else the shot's slate. "
             "`filmc takes FILM SHOT --check` says what is wrong with it."),
    "B802": ("board folder holds other files", "`filmc board -o DIR` writes only into a new or empty folder, or one it "
             "wrote before (it holds .filmc-board): it replaces index.html and thumbs/ there. Give another folder."),
    "B803": ("film.yaml changed since the board was shown", "The served board's \"Use this take\" writes film.yaml "
             "only when it is the one the page was built from: it was edited meanwhile, so nothing was written. The "
             "page reloads with the new film.yaml; choose again."),
    "B804": ("write without the board's token", "`filmc board --serve` makes a secret token at start and puts it in "
             "the page it serves; a request that changes film.yaml without it (another page, a script) is refused."),
    "B805": ("not a file the board serves", "The served board gives only pictures and videos inside the film's folder "
             "and the files of the board's folder: no path with '..', no hidden file, no link leading out of the "
             "folder, nothing that is not a regular file."),
    "B806": ("request from another site", "The served board answers only requests that name it (127.0.0.1:<port> or "
             "localhost:<port>) and, for writes, come from its own page: a web page elsewhere cannot read or change "
             "the film through it."),
    "B807": ("bad request to the board", "A \"use this take\" request is a small JSON object naming the shot, the "
             "take and the hash of film.yaml the page was built from."),
    # D7xx: drafting with Gemini (`filmc draft`)
    "D701": ("no Gemini API key", "`filmc draft` needs a Gemini API key in GEMINI_API_KEY (or GOOGLE_API_KEY). Get one at "
             "https://aistudio.google.com/apikey. FILMC_GEMINI_BASE_URL points the drafts at another server."),
    "D702": ("google-genai missing", "The drafts talk to Gemini through the google-genai package, a dependency of filmc: "
             "reinstall filmc, or pip install google-genai."),
    "D703": ("Gemini refused the request", "Gemini answered with an error that trying again will not change: a key "
             "that is not valid (400/403), a model that does not exist (404; see --model), a request it cannot take. "
             "The message is Gemini's, with any key masked."),
    "D704": ("Gemini unavailable", "Gemini answered 429 (quota or rate) or a server error (5xx), or could not be "
             "reached, on every try. filmc tries 4 times, waiting what Gemini asks (or 1, 2, 4 s). Try again later, "
             "or another --model."),
    "D705": ("answer cut short", "The answer stopped at Gemini's output limit (finishReason MAX_TOKENS), so its JSON is "
             "incomplete. Nothing was written. Draft less at a time (storyboard: one --section)."),
    "D706": ("answer not JSON", "The answer should be JSON in the schema filmc sent, and is not. Nothing was written; "
             "the answer is kept in .filmc/drafts/<draft>.json. Run the draft again."),
    "D707": ("answer breaks its schema", "The answer has a value the film schema does not allow there (a shot size not "
             "in the vocabulary, an unknown key, a start past the end of the song). The error points into the kept "
             "answer, .filmc/drafts/<draft>.json. Nothing was written."),
    "D708": ("unknown reference in the answer", "The answer names a section, character, location or world the film "
             "does not have, or gives a new shot an id already used. The offending value is named; nothing was "
             "written. Run the draft again, or add what it names to film.yaml first."),
    "D709": ("no answer", "Gemini gave no answer: the request or the answer was blocked by its safety filter, or it "
             "stopped for another reason. Nothing was written."),
    "D710": ("nothing to draft from", "The draft needs something the film does not have yet: a story (or lyrics) for "
             "lyrics and concept, an audio file for the song."),
    "D711": ("unknown section", "`filmc draft storyboard --section ID` names a section the song does not have."),
    "D712": ("no time left to storyboard", "The sections asked for are already filled by their shots (a shot without "
             "a duration takes all the time its section has left), or every section has shots and none was named. "
             "Free some time, or name sections with --section."),
    "D713": ("unknown shot", "`filmc draft prompt FILM SHOT` names a shot the film does not have."),
    "D714": ("not one of the film's targets", "`filmc draft prompt --target T` takes one of the film's targets "
             "(targets.image, targets.video): the polished prompt is written as that target's override."),
    "D715": ("song audio unusable", "`filmc draft song` listens to song.audio: it must be a regular file in the film's "
             "folder."),
    "D717": ("uploaded song not usable", "The song was uploaded through the Files API but Gemini did not make it "
             "ready (its state is not ACTIVE). Try again; converting the song to mp3 or wav may help."),
    "D718": ("draft would make the film invalid", "The draft, merged into film.yaml, would fail `filmc validate` with "
             "problems the film did not have (listed below it). Nothing was written; run the draft again or edit by "
             "hand."),
}


def all_codes() -> dict[str, tuple[str, str]]:
    """Every stage's codes: these plus the edit's and beat detection's (kept beside the code that raises them)."""
    from .beats.codes import BEATS_CODES
    from .edit.codes import RENDER_CODES

    return {**CODES, **RENDER_CODES, **BEATS_CODES}


def explain(code: str) -> str | None:
    entry = all_codes().get(code.upper())
    if entry is None:
        return None
    title, text = entry
    return f"{code.upper()}: {title}\n\n{text}\n"
