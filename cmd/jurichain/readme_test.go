package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/node"
)

// TestMain lets the test binary run as the jurichain command inside test
// scripts, so the scripts run the real command without building it again.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"jurichain": main})
}

var update = flag.Bool("update", false, "rewrite testdata/readme.txtar from README.md")

// readmeSections are the README walkthroughs TestREADME runs, in order:
// each continues with the nodes and files of the ones before. Of "A
// network of four institutions" it runs the first block, the testnet.
var readmeSections = []string{"Five minutes", "Certificates a court can check", "National cryptography (GM)", "Accounts, review, the evidence vault and court cases", "The portal: the same in a browser", "Two networks: anchoring, a witness, an evidence package", "A network of four institutions"}

// TestREADME runs the README's walkthroughs as written. The script
// testdata/readme.txtar is generated from README.md: each command of the
// walkthroughs runs in sh, and each output line the README shows after it
// ("#   ...", "…" standing for anything) must appear in the command's
// output. Ids and codes that differ from run to run are captured from the
// output they appear in and used in the commands that follow. The test
// fails when README.md and the script disagree, so neither changes alone;
// go test -run TestREADME -update rewrites the script.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := readmeScript(string(readme), readmeSections)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "readme.txtar")
	if *update {
		if err := os.WriteFile(golden, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if have, err := os.ReadFile(golden); err != nil || string(have) != script {
		t.Fatalf("%s is not the script of README.md's walkthroughs (%v): after changing either, run 'go test ./cmd/jurichain -run TestREADME -update' and read the diff", golden, err)
	}
	testscript.Run(t, testscript.Params{
		Files: []string{golden},
		Setup: func(env *testscript.Env) error {
			addrs, err := freePorts(2)
			if err != nil {
				return err
			}
			env.Setenv("HTTPADDR", addrs[0])
			env.Setenv("P2PADDR", addrs[1])
			env.Setenv("JURICHAIN_SERVER", "http://"+addrs[0])
			// A binary built with -race sleeps a second at exit otherwise.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			// The README runs ./jurichain, as built in the current directory.
			for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
				if _, err := os.Stat(filepath.Join(dir, "jurichain")); err == nil {
					return os.Symlink(filepath.Join(dir, "jurichain"), filepath.Join(env.WorkDir, "jurichain"))
				}
			}
			return fmt.Errorf("no jurichain command in PATH")
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"waitready":  cmdWaitReady,
			"waitblocks": cmdWaitBlocks,
			"capture":    cmdCapture,
		},
	})
}

// cmdWaitReady waits until the node at $JURICHAIN_SERVER answers, or the
// one of the node home named: waitready [HOME].
func cmdWaitReady(ts *testscript.TestScript, neg bool, args []string) {
	url := ts.Getenv("JURICHAIN_SERVER") + "/healthz"
	if len(args) == 1 {
		settings, err := node.Home(ts.MkAbs(args[0])).LoadSettings()
		ts.Check(err)
		url = localURL(settings.HTTP) + "/healthz"
	}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("the node did not answer at %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cmdWaitBlocks waits until the nodes of the homes named have committed
// a block with a final checkpoint: waitblocks HOME...
func cmdWaitBlocks(ts *testscript.TestScript, neg bool, args []string) {
	deadline := time.Now().Add(3 * time.Minute)
	for _, home := range args {
		settings, err := node.Home(ts.MkAbs(home)).LoadSettings()
		ts.Check(err)
		url := localURL(settings.HTTP) + "/v1/status"
		for {
			var st api.Status
			resp, err := http.Get(url)
			if err == nil {
				err = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
			}
			if err == nil && st.Height > 0 && st.Checkpoint != "" {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("the node of %s made no block in 3 minutes (%v, height %d)", home, err, st.Height)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// cmdCapture checks that the last command's standard output (or, with
// "stderr" as first argument, its error output) has a line matching REGEXP
// and sets the variables to its groups: capture [stderr] REGEXP VAR...
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	file := "stdout"
	if len(args) > 0 && args[0] == "stderr" {
		file, args = "stderr", args[1:]
	}
	if neg || len(args) < 1 {
		ts.Fatalf("usage: capture [stderr] REGEXP VAR...")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(file))
	if m == nil {
		ts.Fatalf("no line of %s matches %q", file, args[0])
	}
	if len(m)-1 != len(args)-1 {
		ts.Fatalf("%q has %d groups for %d variables", args[0], len(m)-1, len(args)-1)
	}
	for i, v := range args[1:] {
		ts.Setenv(v, m[i+1])
	}
}

// step is one command of a walkthrough and the output lines the README
// shows for it.
type step struct {
	cmd    string
	output []string
}

// readmeSteps reads the commands of the sh blocks of the README's sections.
func readmeSteps(readme string, sections []string) ([]step, error) {
	var steps []step
	for _, name := range sections {
		start := strings.Index(readme, "\n## "+name+"\n")
		if start < 0 {
			return nil, fmt.Errorf("README.md has no section %q", name)
		}
		body := readme[start+len(name)+5:]
		if end := strings.Index(body, "\n## "); end >= 0 {
			body = body[:end]
		}
		blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(body, -1)
		if name == "A network of four institutions" && len(blocks) > 1 {
			blocks = blocks[:1] // the rest shows placeholders
		}
		for _, block := range blocks {
			lines := strings.Split(strings.TrimSuffix(block[1], "\n"), "\n")
			for i := 0; i < len(lines); i++ {
				l := lines[i]
				switch {
				case strings.TrimSpace(l) == "":
				case strings.HasPrefix(l, "#"):
					if len(steps) == 0 {
						return nil, fmt.Errorf("section %q: output %q before any command", name, l)
					}
					steps[len(steps)-1].output = append(steps[len(steps)-1].output, strings.TrimSpace(l[1:]))
				default:
					for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
						i++
						l = strings.TrimSpace(strings.TrimSuffix(l, "\\")) + " " + strings.TrimSpace(lines[i])
					}
					steps = append(steps, step{cmd: l})
				}
			}
		}
	}
	return steps, nil
}

// variable matches what differs from run to run and is used by later
// commands: account ids and invitation or share codes.
var variable = regexp.MustCompile(`\bacct-[0-9a-f]{20}\b|\b[A-Z2-7]{16,}\b|http://127\.0\.0\.1:\d+`)

// readmeScript turns the walkthroughs into a test script.
func readmeScript(readme string, sections []string) (string, error) {
	steps, err := readmeSteps(readme, sections)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Generated from README.md (%s) by TestREADME; do not edit.\n", strings.Join(sections, "; "))
	fmt.Fprintf(&b, "# Each command runs in sh; the node listens on $HTTPADDR, which commands reach through $JURICHAIN_SERVER.\n")
	vars := map[string]string{}    // README token -> variable
	var started []string           // node homes started since the last command
	running := map[string]string{} // node home -> the name of its background command
	starts := 0
	for _, s := range steps {
		cmd := strings.TrimSpace(strings.SplitN(s.cmd, " #", 2)[0])
		fmt.Fprintf(&b, "\n# %s\n", s.cmd)
		if len(started) > 0 && !strings.HasPrefix(cmd, "./jurichain serve --home ") {
			// A reader waits until the network makes blocks; on a busy
			// machine four nodes take a while to agree on the first.
			fmt.Fprintf(&b, "waitblocks %s\n", strings.Join(started, " "))
			started = nil
		}
		if cmd == "./jurichain serve" {
			// The node of the walkthrough, on free ports; it runs until
			// the script ends.
			fmt.Fprintf(&b, "exec jurichain init --p2p tcp://$P2PADDR --http $HTTPADDR\n")
			fmt.Fprintf(&b, "exec jurichain serve --log-level warn &\n")
			fmt.Fprintf(&b, "waitready\n")
			continue
		}
		if rest, ok := strings.CutPrefix(cmd, "./jurichain serve --home "); ok {
			// A node home written by testnet, with its own free ports;
			// flags after the home go through sh, which then becomes
			// the node. A home started again was stopped first, as a
			// reader stops it in its terminal.
			home, flags, _ := strings.Cut(rest, " ")
			if name, ok := running[home]; ok {
				fmt.Fprintf(&b, "kill -INT %s\nwait %s\n", name, name)
			}
			starts++
			name := fmt.Sprintf("node%d", starts)
			running[home] = name
			if flags == "" {
				fmt.Fprintf(&b, "exec jurichain serve --home %s --log-level warn &%s&\n", home, name)
			} else {
				for token, v := range vars {
					flags = strings.ReplaceAll(flags, token, "$"+v)
				}
				fmt.Fprintf(&b, "exec sh -c %s &%s&\n", quote("exec ./jurichain serve --home "+home+" "+flags+" --log-level warn"), name)
			}
			fmt.Fprintf(&b, "waitready %s\n", home)
			started = append(started, home)
			continue
		}
		for token, v := range vars {
			s.cmd = strings.ReplaceAll(s.cmd, token, "$"+v)
		}
		fails := !strings.Contains(s.cmd, `echo "exit $?"`) && len(s.output) > 0 && strings.HasPrefix(s.output[0], "jurichain: error:")
		if fails {
			b.WriteString("! ")
		}
		fmt.Fprintf(&b, "exec sh -c %s\n", quote(s.cmd))
		for _, out := range s.output {
			stream := "stdout"
			if strings.HasPrefix(out, "jurichain: ") {
				stream = "stderr"
			}
			re, names := outputRegexp(out, vars)
			if len(names) == 0 {
				fmt.Fprintf(&b, "%s %s\n", stream, quote(re))
				continue
			}
			args := []string{quote(re)}
			if stream == "stderr" {
				args = append([]string{"stderr"}, args...)
			}
			fmt.Fprintf(&b, "capture %s %s\n", strings.Join(args, " "), strings.Join(names, " "))
		}
	}
	return b.String(), nil
}

// outputRegexp is the regular expression of an output line the README
// shows: "…" stands for anything (and ends an abridged hex id before it),
// runs of spaces for any blank, dates and times for any, and the variables
// become groups, named in names and added to vars.
func outputRegexp(line string, vars map[string]string) (re string, names []string) {
	special := regexp.MustCompile(`[0-9a-f]*…|\d{4}-\d\d-\d\d[T ][0-9:.]+Z?|\s+|` + variable.String())
	var b strings.Builder
	last := 0
	for _, m := range special.FindAllStringIndex(line, -1) {
		b.WriteString(regexp.QuoteMeta(line[last:m[0]]))
		tok := line[m[0]:m[1]]
		switch {
		case strings.HasSuffix(tok, "…"):
			b.WriteString(".*")
		case strings.TrimSpace(tok) == "":
			b.WriteString(`\s+`)
		case variable.MatchString(tok):
			v, ok := vars[tok]
			if !ok {
				v = "V_" + regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(tok, "_")
				vars[tok] = v
			}
			names = append(names, v)
			switch {
			case strings.HasPrefix(tok, "acct-"):
				b.WriteString(`(acct-[0-9a-f]{20})`)
			case strings.HasPrefix(tok, "http://"):
				b.WriteString(`(http://127\.0\.0\.1:\d+)`)
			default:
				b.WriteString(`([A-Z2-7]{16,})`)
			}
		default:
			b.WriteString(`[0-9T:. -]+Z?`)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(line[last:]))
	return b.String(), names
}

// quote quotes s as one word of a test script.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
