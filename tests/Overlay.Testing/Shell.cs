using System.Diagnostics;
using System.Text;

namespace Overlay.Testing;

/// <summary>Runs iproute2 and friends for lab set-up and as the independent oracle of kernel state.</summary>
public static class Shell
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>; throws with stderr on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var (code, stdout, stderr) = await TryRunAsync(file, arguments, stdin, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', arguments)}' exited with {code}: {stderr.Trim()}");
        }

        return stdout;
    }

    /// <summary>Runs a command and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(string file, IEnumerable<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary><c>ip</c> with arguments.</summary>
    public static Task<string> IpAsync(params string[] arguments) => RunAsync("ip", arguments);

    /// <summary>Runs <c>ip -batch -</c> with the given lines (one namespace's or the host's).</summary>
    public static Task<string> IpBatchAsync(string? netns, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        var args = new List<string>();
        if (netns is not null)
        {
            args.AddRange(["-n", netns]);
        }

        args.AddRange(["-batch", "-"]);
        var sb = new StringBuilder();
        foreach (string line in lines)
        {
            sb.Append(line).Append('\n');
        }

        return RunAsync("ip", args, sb.ToString(), cancellationToken);
    }
}
