using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Overlay.Netlink;

namespace Overlay.Hosting.Internal;

/// <summary>
/// The iptables programs of one family and variant, run inside the configured namespace. The variant
/// is chosen as Kubernetes' iptables wrapper does: when both <c>iptables-legacy</c> and
/// <c>iptables-nft</c> exist, the one whose ruleset already holds more rules wins (ties go to nft);
/// otherwise whichever exists, else plain <c>iptables</c>. <c>--wait</c> and <c>--random-fully</c>
/// are used from version 1.6.2 (flannel's rule).
/// </summary>
internal sealed partial class IptablesTool
{
    private static readonly string[] SearchPath = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"];
    private readonly NetworkNamespace? _namespace;

    private IptablesTool(string command, string restore, string save, string variant, Version version, NetworkNamespace? ns)
    {
        Command = command;
        Restore = restore;
        Save = save;
        Variant = variant;
        Version = version;
        _namespace = ns;
    }

    public string Command { get; }

    public string Restore { get; }

    public string Save { get; }

    public string Variant { get; }

    public Version Version { get; }

    public bool SupportsWait => Version >= new Version(1, 6, 2);

    public bool SupportsRandomFully => Version >= new Version(1, 6, 2);

    public static string? Find(string program)
    {
        foreach (string dir in SearchPath)
        {
            string path = Path.Combine(dir, program);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Finds the programs of a family ("iptables" or "ip6tables"), or null when none is installed.</summary>
    public static IptablesTool? Detect(string family, NetworkNamespace? ns, string? forcedVariant = null)
    {
        string? legacy = Find(family + "-legacy");
        string? nft = Find(family + "-nft");
        string variant;
        if (forcedVariant is not null)
        {
            variant = forcedVariant;
        }
        else if (legacy is not null && nft is not null)
        {
            int legacyRules = CountRules(ns, Find(family + "-legacy-save"));
            int nftRules = CountRules(ns, Find(family + "-nft-save"));
            variant = legacyRules > nftRules ? "legacy" : "nft";
        }
        else if (legacy is not null)
        {
            variant = "legacy";
        }
        else if (nft is not null)
        {
            variant = "nft";
        }
        else
        {
            string? plain = Find(family);
            if (plain is null)
            {
                return null;
            }

            (int _, string text, _) = RunIn(ns, plain, ["--version"], null);
            Version v = ParseVersion(text);
            bool isNft = text.Contains("nf_tables", StringComparison.Ordinal);
            return new IptablesTool(plain, Find(family + "-restore") ?? plain + "-restore", Find(family + "-save") ?? plain + "-save", isNft ? "nft" : "legacy", v, ns);
        }

        string command = Find($"{family}-{variant}") ?? throw new InvalidOperationException($"{family}-{variant} is not installed.");
        (int _, string versionText, _) = RunIn(ns, command, ["--version"], null);
        return new IptablesTool(command, Find($"{family}-{variant}-restore") ?? command + "-restore", Find($"{family}-{variant}-save") ?? command + "-save", variant, ParseVersion(versionText), ns);
    }

    public (int ExitCode, string Output, string Error) Run(IReadOnlyList<string> arguments) =>
        RunIn(_namespace, Command, SupportsWait ? ["--wait", .. arguments] : arguments, null);

    public bool Exists(IptablesRule rule) =>
        Run(["-t", rule.Table, "-C", rule.Chain, .. rule.Arguments]).ExitCode == 0;

    public bool ChainExists(string table, string chain) =>
        Run(["-t", table, "-S", chain]).ExitCode == 0;

    /// <summary>Applies a restore payload with <c>--noflush</c>; throws with the program's message when it fails.</summary>
    public void RestoreNoFlush(string payload)
    {
        string[] args = SupportsWait ? ["--noflush", "--wait"] : ["--noflush"];
        (int code, _, string error) = RunIn(_namespace, Restore, args, payload);
        if (code != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(Restore)} --noflush failed ({code}): {error.Trim()}\npayload:\n{payload}");
        }
    }

    public string SaveOutput() => RunIn(_namespace, Save, [], null).Output;

    private static int CountRules(NetworkNamespace? ns, string? save)
    {
        if (save is null)
        {
            return 0;
        }

        (int code, string output, _) = RunIn(ns, save, [], null);
        return code != 0 ? 0 : output.Split('\n').Count(l => l.StartsWith("-A ", StringComparison.Ordinal));
    }

    private static Version ParseVersion(string text)
    {
        Match m = VersionPattern().Match(text);
        return m.Success ? new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)) : new Version(0, 0, 0);
    }

    /// <summary>Runs a program (inside the namespace when one is given: the fork happens on a thread that entered it).</summary>
    private static (int ExitCode, string Output, string Error) RunIn(NetworkNamespace? ns, string program, IReadOnlyList<string> arguments, string? input)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            StandardInputEncoding = input is null ? null : new UTF8Encoding(false),
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using Process process = ns is null ? Process.Start(info)! : ns.Run(() => Process.Start(info)!);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    [GeneratedRegex(@"v(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
