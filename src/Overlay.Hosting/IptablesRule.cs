using System.Text;

namespace Overlay.Hosting;

/// <summary>One iptables rule: its table, its chain and its match/target arguments (as after <c>-A CHAIN</c>).</summary>
/// <param name="Table">The table (<c>nat</c>, <c>filter</c>).</param>
/// <param name="Chain">The chain.</param>
/// <param name="Arguments">The rule specification.</param>
public sealed record IptablesRule(string Table, string Chain, IReadOnlyList<string> Arguments)
{
    /// <summary>The specification as a restore line: arguments joined by single spaces, the argument after
    /// <c>--comment</c> in double quotes (flannel's format).</summary>
    /// <returns>The text after <c>-A CHAIN </c>.</returns>
    public string ToRestoreSpec()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Arguments.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            bool quote = i > 0 && Arguments[i - 1] == "--comment";
            sb.Append(quote ? "\"" + Arguments[i] + "\"" : Arguments[i]);
        }

        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"-t {Table} -A {Chain} {ToRestoreSpec()}";
}
