using System.Collections.Immutable;

namespace Overlay.Backends;

/// <summary>The node-level status of a network or an agent: the problems that belong to no peer.</summary>
/// <param name="Problems">The current problems, ordered by code.</param>
public sealed record NodeStatus(ImmutableArray<NodeProblem> Problems)
{
    /// <summary>No problems.</summary>
    public static NodeStatus Healthy { get; } = new(ImmutableArray<NodeProblem>.Empty);

    /// <summary>True when there is no problem.</summary>
    public bool IsHealthy => Problems.IsDefaultOrEmpty;

    /// <summary>The problems as one line (<c>Code: message; …</c>), empty when healthy.</summary>
    public string Summary => IsHealthy ? string.Empty : string.Join("; ", Problems);

    /// <summary>The problem with <paramref name="code"/>, or null.</summary>
    /// <param name="code">The problem's code (ordinal comparison).</param>
    /// <returns>The problem, or null when there is none with that code.</returns>
    public NodeProblem? Find(string code)
    {
        foreach (NodeProblem problem in Problems.IsDefault ? [] : Problems)
        {
            if (string.Equals(problem.Code, code, StringComparison.Ordinal))
            {
                return problem;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => IsHealthy ? "healthy" : Summary;
}
