package adrealm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate/internal/krbenv"
)

// recipe is what a template is made of; changing it (or the Samba version)
// names a new template, so an old one is never used by mistake.
var recipe = []string{
	"samba-tool", "domain", "provision",
	"--realm=" + Realm, "--domain=" + NetBIOSDomain, "--host-name=" + hostName,
	"--server-role=dc", "--dns-backend=NONE", "--adminpass=" + AdminPassword,
	"--option=interfaces=lo", "--option=bind interfaces only=yes",
	// then: our smb.conf, and password settings below.
}

// passwordSettings make passwords that tests choose always acceptable and
// never expiring (kinit would warn of the expiry otherwise).
var passwordSettings = []string{
	"domain", "passwordsettings", "set",
	"--complexity=off", "--history-length=0", "--min-pwd-length=1",
	"--min-pwd-age=0", "--max-pwd-age=0",
}

// templateOK is the file a finished template holds; a template directory
// without it is the remains of an interrupted provision.
const templateOK = "adrealm-template-ok"

// ensureTemplate returns the directory of the provisioned template,
// provisioning it first if it does not exist, and how long that took (0 if
// it existed). The caller holds the lock.
func ensureTemplate(python string) (string, time.Duration, error) {
	dir, err := templateDir()
	if err != nil {
		return "", 0, err
	}
	name := filepath.Base(dir)
	if _, err := os.Stat(filepath.Join(dir, templateOK)); err == nil {
		return dir, 0, nil
	}
	start := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		return "", 0, fmt.Errorf("adrealm: remove an unfinished template: %w", err)
	}
	tmp, err := os.MkdirTemp(os.TempDir(), name+".tmp")
	if err != nil {
		return "", 0, fmt.Errorf("adrealm: %w", err)
	}
	defer os.RemoveAll(tmp)
	// Provision beside the final name and rename when done, so no other
	// process ever sees half a template. The paths samba-tool writes into
	// smb.conf are rewritten for each copy.
	args := append(append([]string{}, recipe[1:]...), "--targetdir="+tmp)
	if out, err := run(python, nil, mustLookPath("samba-tool"), args...); err != nil {
		return "", 0, fmt.Errorf("adrealm: provision the template: %w: %s", err, tail(out))
	}
	if err := writeSMBConf(tmp); err != nil {
		return "", 0, err
	}
	args = append(append([]string{}, passwordSettings...), "-s", filepath.Join(tmp, "etc", "smb.conf"))
	if out, err := run(python, nil, mustLookPath("samba-tool"), args...); err != nil {
		return "", 0, fmt.Errorf("adrealm: template password settings: %w: %s", err, tail(out))
	}
	if err := os.WriteFile(filepath.Join(tmp, templateOK), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return "", 0, fmt.Errorf("adrealm: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", 0, fmt.Errorf("adrealm: %w", err)
	}
	return dir, time.Since(start), nil
}

// templateDir is where the template for this Samba version and recipe
// lives: under the system temporary directory, named by a hash of both.
func templateDir() (string, error) {
	version, err := exec.Command(mustLookPath("samba"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("adrealm: samba --version: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", bytes.TrimSpace(version), strings.Join(recipe, "\x00"), strings.Join(passwordSettings, "\x00"))
	return filepath.Join(os.TempDir(), "negotiate-adrealm-template-"+hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// removeTemplate removes the template, so that the next ensureTemplate
// provisions a new one. The caller holds the lock.
func removeTemplate() error {
	dir, err := templateDir()
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// copyTree copies the directories and regular files under src into dst,
// keeping their modes. Ownership and ACLs are not copied: the sysvol
// share's ACLs do not matter to a DC that serves only Kerberos and LDAP.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == templateOK {
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		default:
			return nil // sockets, symlinks: a fresh provision has none that matter
		}
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func mustLookPath(prog string) string {
	p, err := krbenv.LookPath(prog)
	if err != nil {
		return prog // exec reports it
	}
	return p
}

// run runs prog with args and returns its combined output. If python is
// set, prog is a Python script run by that interpreter.
func run(python string, env []string, prog string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if python != "" {
		cmd = exec.Command(python, append([]string{prog}, args...)...)
	} else {
		cmd = exec.Command(prog, args...)
	}
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func tail(out []byte) []byte {
	out = bytes.TrimSpace(out)
	if len(out) > 2000 {
		out = out[len(out)-2000:]
	}
	return out
}
