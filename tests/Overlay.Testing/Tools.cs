using System.Diagnostics;

namespace Overlay.Testing;

/// <summary>Runs external programs (iproute2, tshark, ping) as independent oracles.</summary>
public static class Tools
{
    public static bool Exists(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':').Append("/usr/sbin").Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, command)));

    public static (int ExitCode, string Output, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Check(string file, params string[] args)
    {
        (int code, string output, string error) = Run(file, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {error}{output}");
        }

        return output;
    }
}
