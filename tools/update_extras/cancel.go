package main

import (
	"context"
	"flag"
	"fmt"
)

// runInterruptible runs cmd with ctx, which main cancels on SIGINT and
// SIGTERM: a command that edits the file through runEdit (write.go), the
// others (check) directly. Everything that can take long stops with ctx:
// downloads, waiting for the lock, and parsing the file (the commands
// pass ctx to the store's Load and Update, which pass it to
// extras.Parse), so an interrupted run ends within moments, also in the
// middle of a huge extras.json. A command that fails because of the
// signal reports it in one short line instead of the error of whatever it
// was doing. Every write goes through extrasfile's Store.Update, which
// leaves the file as it was when it fails, so the file is unchanged.
func runInterruptible(ctx context.Context, cmd *command, c *cli, fs *flag.FlagSet, args []string) error {
	var err error
	if cmd.edit != nil {
		err = runEdit(ctx, cmd, c, fs, args)
	} else {
		err = cmd.run(ctx, c, fs, args)
	}
	if err != nil && ctx.Err() != nil {
		_, display := c.filePath()
		return fmt.Errorf("stopped (%v); %s is unchanged", context.Cause(ctx), display)
	}
	return err
}
